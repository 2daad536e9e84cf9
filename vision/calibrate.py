"""Threshold calibration and verification metrics from genuine / impostor score lists.

    .venv/bin/python -m vision.calibrate        # scores the package-shipped labelled set"""
from __future__ import annotations

import itertools
import json
import sys
from dataclasses import asdict, dataclass

import numpy as np


@dataclass(frozen=True)
class Calibration:
    genuine: int
    impostor: int
    far_target: float
    threshold_at_far: float     # lowest threshold whose FAR <= far_target
    tar_at_far: float
    best_accuracy: float        # accuracy at the best single threshold
    best_accuracy_threshold: float
    accuracy_at: dict[str, float]  # accuracy at given operating thresholds
    genuine_min: float
    impostor_max: float


def far_threshold(impostor: np.ndarray, far: float) -> float:
    """Smallest threshold t with mean(impostor >= t) <= far (a score at t counts as a match)."""
    imp = np.sort(np.asarray(impostor, dtype=np.float64))[::-1]
    allowed = int(np.floor(far * len(imp)))  # impostors allowed at or above t
    if allowed >= len(imp):
        return float(imp[-1])
    return float(np.nextafter(imp[allowed], np.inf))


def accuracy(genuine: np.ndarray, impostor: np.ndarray, threshold: float) -> float:
    ok = np.sum(genuine >= threshold) + np.sum(impostor < threshold)
    return float(ok / (len(genuine) + len(impostor)))


def calibrate(genuine, impostor, far: float = 0.001, operating: tuple[float, ...] = ()) -> Calibration:
    g, i = np.asarray(genuine, dtype=np.float64), np.asarray(impostor, dtype=np.float64)
    if len(g) == 0 or len(i) == 0:
        raise ValueError("need genuine and impostor scores")
    t = far_threshold(i, far)
    candidates = np.unique(np.concatenate([g, i, [t]]))
    accs = [accuracy(g, i, c) for c in candidates]
    best = int(np.argmax(accs))
    return Calibration(len(g), len(i), far, round(t, 4), round(float(np.mean(g >= t)), 4), round(accs[best], 4),
                       round(float(candidates[best]), 4), {f"{o:.3f}": round(accuracy(g, i, o), 4) for o in operating},
                       round(float(g.min()), 4), round(float(i.max()), 4))


def pair_scores(labels: list[str], embeddings: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    gen: list[float] = []
    imp: list[float] = []
    for a, b in itertools.combinations(range(len(labels)), 2):
        (gen if labels[a] == labels[b] else imp).append(float(embeddings[a] @ embeddings[b]))
    return np.array(gen), np.array(imp)


def embed_labelled_set(engine) -> tuple[list[str], np.ndarray, int]:
    """(labels, embeddings, images without a face) over sample_faces.labelled_set()."""
    from .sample_faces import labelled_set
    labels, vecs, missed = [], [], 0
    for item in labelled_set():
        faces = engine.detect(item.rgb)
        if not faces:
            missed += 1
            continue
        face = max(faces, key=lambda f: f.area)
        labels.append(item.identity)
        vecs.append(engine.embed(item.rgb, face))
    return labels, np.vstack(vecs), missed


def main() -> int:
    from .config import VisionConfig
    from .engines import create_engine
    cfg = VisionConfig.from_env()
    engine = create_engine(cfg.backend, **({"pack_dir": cfg.insightface_pack} if cfg.backend == "insightface" else {}))
    labels, vecs, missed = embed_labelled_set(engine)
    gen, imp = pair_scores(labels, vecs)
    cal = calibrate(gen, imp, 0.001, (cfg.match_threshold, cfg.verify_threshold))
    json.dump({"engine": engine.name, "images_without_face": missed, **asdict(cal)}, sys.stdout, indent=1)
    print()
    return 0


if __name__ == "__main__":
    sys.exit(main())
