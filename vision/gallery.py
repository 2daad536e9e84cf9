"""The face gallery: encrypted templates in SQL + an in-memory ANN index for 1:N search.
face_id -> customer_id (the business system knows customers by face_id, e.g. face-zhangwei)."""
from __future__ import annotations

import threading
from dataclasses import dataclass

import numpy as np

from .ann_index import AnnIndex
from .crypto import TemplateCipher
from .store import FaceStore


class ConsentRequired(PermissionError):
    """No recorded consent for this customer: no template may be stored."""


@dataclass(frozen=True)
class Match:
    customer_id: str
    face_id: str
    score: float
    template_id: int


@dataclass(frozen=True)
class Decision:
    customer_id: str | None  # None = unknown
    face_id: str
    score: float
    margin: float            # best score minus the best score of any other customer
    reason: str              # "" when identified; below_threshold / low_margin / empty_gallery


class Gallery:
    def __init__(self, store: FaceStore, cipher: TemplateCipher, engine_name: str, dim: int,
                 ivf_min: int = 50_000) -> None:
        self.store, self.cipher = store, cipher
        self.engine_name, self.dim = engine_name, dim
        self.index = AnnIndex(dim, ivf_min=ivf_min)
        self._meta: dict[int, tuple[str, str]] = {}  # template id -> (customer_id, face_id)
        self._lock = threading.RLock()
        self._signature = (0, 0)
        self.reload()

    def __len__(self) -> int:
        return len(self._meta)

    def reload(self) -> None:
        """Rebuild the index from SQL (start-up; or after another process changed the store)."""
        rows = self.store.templates(self.engine_name)
        index = AnnIndex(self.dim, ivf_min=self.index.ivf_min)
        if rows:
            vecs = np.vstack([self.cipher.decrypt(r.template, self.dim) for r in rows])
            index.add(np.array([r.id for r in rows]), vecs)
        with self._lock:
            self.index = index
            self._meta = {r.id: (r.customer_id, r.face_id) for r in rows}
            self._signature = self.store.signature(self.engine_name)

    def refresh(self) -> bool:
        """Reload if another process (e.g. `hallbot face enroll`) changed the store."""
        if self.store.signature(self.engine_name) != self._signature:
            self.reload()
            return True
        return False

    def add(self, customer_id: str, face_id: str, embedding: np.ndarray, source: str = "live") -> int:
        if not self.store.has_consent(customer_id):
            raise ConsentRequired(f"no face-recognition consent recorded for {customer_id}")
        vec = np.asarray(embedding, dtype=np.float32).ravel()
        if vec.size != self.dim:
            raise ValueError(f"embedding has {vec.size} values, the {self.engine_name} gallery needs {self.dim}")
        tid = self.store.add_template(customer_id, face_id, self.engine_name, self.dim, source,
                                      self.cipher.encrypt(vec))
        with self._lock:
            self.index.add(np.array([tid]), vec[None, :])
            self._meta[tid] = (customer_id, face_id)
            self._signature = self.store.signature(self.engine_name)
        return tid

    def delete_customer(self, customer_id: str) -> tuple[int, int, int]:
        """Forget the customer: SQL rows (templates, consents) and index entries; returns
        (templates, consents, index entries) removed."""
        ids = self.store.template_ids(customer_id)
        templates, consents = self.store.delete_customer(customer_id)
        with self._lock:
            # also entries a refresh has not yet dropped (deleted in SQL by another process)
            ids = sorted(set(ids) | {tid for tid, (cid, _) in self._meta.items() if cid == customer_id})
            removed = self.index.remove(ids)
            for tid in ids:
                self._meta.pop(tid, None)
            self._signature = self.store.signature(self.engine_name)
        return templates, consents, removed

    def customers(self) -> set[str]:
        return {c for c, _ in self._meta.values()}

    def search(self, embedding: np.ndarray, k: int = 10) -> list[Match]:
        """Best match per customer, best first."""
        scores, ids = self.index.search(embedding, k)
        best: dict[str, Match] = {}
        with self._lock:
            for s, tid in zip(scores, ids):
                meta = self._meta.get(int(tid))
                if meta is None:
                    continue
                if meta[0] not in best or s > best[meta[0]].score:
                    best[meta[0]] = Match(meta[0], meta[1], float(s), int(tid))
        return sorted(best.values(), key=lambda m: -m.score)

    def identify(self, embedding: np.ndarray, threshold: float, margin: float) -> Decision:
        matches = self.search(embedding)
        if not matches:
            return Decision(None, "", 0.0, 0.0, "empty_gallery")
        top = matches[0]
        gap = top.score - matches[1].score if len(matches) > 1 else top.score - 0.0
        gap = round(float(gap), 4)
        if top.score < threshold:
            return Decision(None, "", top.score, gap, "below_threshold")
        if len(matches) > 1 and gap < margin:
            return Decision(None, "", top.score, gap, "low_margin")
        return Decision(top.customer_id, top.face_id, top.score, gap, "")
