"""Run two face engines on the same images and say how far they agree: detections, face
boxes (IoU), eye positions (in inter-eye distances) and verification metrics on the
labelled set. `bench/bench_vision.py` runs it when an insightface pack is configured."""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .calibrate import calibrate, pair_scores
from .engines.base import FaceEngine
from .tracker import iou


@dataclass(frozen=True)
class EngineAgreement:
    images: int
    found_a: int
    found_b: int
    both: int
    mean_iou: float        # over images where both found a face (largest face each)
    mean_eye_error: float  # |eye_a - eye_b| / inter-eye distance of a, mean over both eyes


def agreement(a: FaceEngine, b: FaceEngine, images: list[np.ndarray]) -> EngineAgreement:
    found_a = found_b = both = 0
    ious, eyes = [], []
    for rgb in images:
        fa, fb = a.detect(rgb), b.detect(rgb)
        found_a += bool(fa)
        found_b += bool(fb)
        if not (fa and fb):
            continue
        both += 1
        x = max(fa, key=lambda f: f.area)
        y = max(fb, key=lambda f: f.area)
        ious.append(iou(x.bbox, y.bbox))
        d = np.hypot(*np.subtract(x.right_eye, x.left_eye)) or 1.0
        eyes.append((np.hypot(*np.subtract(x.left_eye, y.left_eye)) + np.hypot(*np.subtract(x.right_eye, y.right_eye))) / (2 * d))
    return EngineAgreement(len(images), found_a, found_b, both,
                           round(float(np.mean(ious)), 4) if ious else 0.0,
                           round(float(np.mean(eyes)), 4) if eyes else float("nan"))


def verification(engine: FaceEngine, items) -> dict[str, object]:
    """TAR at FAR 0.1 % and accuracy of one engine on labelled images (LabelledImage list)."""
    labels, vecs, missed = [], [], 0
    for it in items:
        faces = engine.detect(it.rgb)
        if not faces:
            missed += 1
            continue
        labels.append(it.identity)
        vecs.append(engine.embed(it.rgb, max(faces, key=lambda f: f.area)))
    if len(set(labels)) < 2:
        return {"engine": engine.name, "images_without_face": missed, "calibration": None}
    gen, imp = pair_scores(labels, np.vstack(vecs))
    return {"engine": engine.name, "images_without_face": missed, "calibration": calibrate(gen, imp)}
