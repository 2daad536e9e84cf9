"""In-memory 1:N index over L2-normalised embeddings (inner product = cosine) with faiss.
Exact (flat) below `ivf_min` vectors; an IVF index above, trained once on the vectors it
holds when it crosses that size. Both add and remove by id without a rebuild."""
from __future__ import annotations

import os
import threading

import faiss
import numpy as np

# One query at a time is latency-bound: OpenMP fan-out costs more than it saves and, on a
# busy 2-core robot, waiting for a second core makes p95 explode (measured: 10k flat p95
# 46 ms with all threads vs < 1 ms with one). Training uses every core.
faiss.omp_set_num_threads(1)


class AnnIndex:
    def __init__(self, dim: int, ivf_min: int = 50_000, nprobe: int = 32, retrain_factor: float = 4.0) -> None:
        self.dim = dim
        self.ivf_min = ivf_min
        self.nprobe = nprobe
        self.retrain_factor = retrain_factor
        self._trained_on = 0
        self._lock = threading.RLock()
        # flat until it grows past ivf_min, then partitioned (self.kind says which)
        self._index: faiss.IndexIDMap2 | faiss.IndexIVFFlat = faiss.IndexIDMap2(faiss.IndexFlatIP(dim))
        self.kind = "flat"

    def __len__(self) -> int:
        return int(self._index.ntotal)

    def add(self, ids: np.ndarray, vecs: np.ndarray) -> None:
        vecs = np.ascontiguousarray(np.asarray(vecs, dtype=np.float32).reshape(-1, self.dim))
        ids = np.ascontiguousarray(np.asarray(ids, dtype=np.int64).ravel())
        if len(ids) == 0:
            return
        with self._lock:
            grown = len(self) + len(ids)
            if (self.kind == "flat" and grown >= self.ivf_min) or \
                    (self.kind == "ivf" and grown >= self.retrain_factor * self._trained_on):
                # One-off re-partition as the gallery grows (x4 since the last one), so lists
                # stay short: amortised, not per add.
                self._to_ivf(extra=(ids, vecs))
                return
            self._index.add_with_ids(vecs, ids)

    def remove(self, ids: list[int] | np.ndarray) -> int:
        ids = np.asarray(list(ids), dtype=np.int64)
        if ids.size == 0:
            return 0
        with self._lock:
            if self.kind == "ivf":  # the hashtable direct map takes only an explicit id array
                return int(self._index.remove_ids(faiss.IDSelectorArray(ids.size, faiss.swig_ptr(ids))))
            return int(self._index.remove_ids(faiss.IDSelectorBatch(ids)))

    def search(self, vec: np.ndarray, k: int = 5) -> tuple[np.ndarray, np.ndarray]:
        """(scores, ids) best first; ids are -1 where fewer than k vectors exist."""
        q = np.ascontiguousarray(np.asarray(vec, dtype=np.float32).reshape(1, self.dim))
        with self._lock:
            if len(self) == 0:
                return np.empty(0, np.float32), np.empty(0, np.int64)
            scores, ids = self._index.search(q, k)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def _to_ivf(self, extra: tuple[np.ndarray, np.ndarray]) -> None:
        """Move to IVF: train the coarse quantiser on everything held plus the new batch."""
        old_ids, old_vecs = self._export()
        ids = np.concatenate([old_ids, extra[0]])
        vecs = np.vstack([old_vecs, extra[1]]) if len(old_ids) else extra[1]
        nlist = int(min(max(4 * np.sqrt(len(ids)), 64), 2048))
        quantiser = faiss.IndexFlatIP(self.dim)
        ivf = faiss.IndexIVFFlat(quantiser, self.dim, nlist, faiss.METRIC_INNER_PRODUCT)
        rng = np.random.default_rng(0)
        sample = vecs[rng.choice(len(vecs), size=min(len(vecs), nlist * 39), replace=False)]
        ivf.cp.niter = 10  # plenty for a coarse quantiser; keeps a 1M re-partition to seconds
        faiss.omp_set_num_threads(os.cpu_count() or 1)
        try:
            ivf.train(np.ascontiguousarray(sample))
            ivf.add_with_ids(np.ascontiguousarray(vecs), np.ascontiguousarray(ids))
        finally:
            faiss.omp_set_num_threads(1)
        # id -> list position map, so remove() does not scan every inverted list
        ivf.set_direct_map_type(faiss.DirectMap.Hashtable)  # type: ignore[attr-defined]  # the enum is missing from faiss's stubs
        ivf.nprobe = self.nprobe
        self._quantiser = quantiser  # keep the Python object alive with the index
        self._index = ivf
        self.kind = "ivf"
        self._trained_on = len(ids)

    def _export(self) -> tuple[np.ndarray, np.ndarray]:
        n = len(self)
        if n == 0:
            return np.empty(0, np.int64), np.empty((0, self.dim), np.float32)
        index = self._index
        if isinstance(index, faiss.IndexIDMap2):   # flat
            ids = faiss.vector_to_array(index.id_map).astype(np.int64)
            flat = faiss.downcast_index(index.index)
            assert isinstance(flat, faiss.IndexFlatCodes)
            vecs = faiss.vector_to_array(flat.codes).view(np.float32)
            return ids, vecs.reshape(n, self.dim).astype(np.float32)
        invlists = index.invlists
        assert invlists is not None   # an IVF index always has its lists
        all_ids, all_vecs = [], []
        for lst in range(index.nlist):
            size = invlists.list_size(lst)
            if size:
                all_ids.append(faiss.rev_swig_ptr(invlists.get_ids(lst), size).copy())
                codes = faiss.rev_swig_ptr(invlists.get_codes(lst), size * self.dim * 4).copy()
                all_vecs.append(codes.view(np.float32).reshape(size, self.dim))
        return np.concatenate(all_ids).astype(np.int64), np.vstack(all_vecs)
