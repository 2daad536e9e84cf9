"""The engine interface. Images are RGB uint8 HxWx3 everywhere in vision/."""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Protocol

import cv2
import numpy as np

# Eye positions of the ArcFace 112x112 template; used for a backend-neutral aligned crop.
TEMPLATE_EYES = np.array([[38.2946, 51.6963], [73.5318, 51.5014]], dtype=np.float32)


class EngineUnavailable(RuntimeError):
    """The backend cannot be loaded (model files missing, package absent)."""


@dataclass
class DetectedFace:
    bbox: tuple[float, float, float, float]  # x1, y1, x2, y2
    score: float
    left_eye: tuple[float, float]   # the eye with the smaller x in the image
    right_eye: tuple[float, float]
    nose: tuple[float, float]
    native: Any = field(default=None, repr=False)  # backend object needed to embed

    @property
    def width(self) -> float:
        return self.bbox[2] - self.bbox[0]

    @property
    def height(self) -> float:
        return self.bbox[3] - self.bbox[1]

    @property
    def size(self) -> float:
        return min(self.width, self.height)

    @property
    def area(self) -> float:
        return max(self.width, 0.0) * max(self.height, 0.0)

    def int_bbox(self) -> tuple[int, int, int, int]:
        return tuple(int(round(v)) for v in self.bbox)  # type: ignore[return-value]


class FaceEngine(Protocol):
    name: str   # tags stored templates: embeddings of different models never mix
    dim: int

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]: ...

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """L2-normalised float32 embedding of `face`."""
        ...


def eye_similarity(face: DetectedFace, size: int = 112) -> np.ndarray:
    """2x3 similarity transform putting the eyes where the ArcFace template has them."""
    src = np.array([face.left_eye, face.right_eye], dtype=np.float32)
    dst = TEMPLATE_EYES * (size / 112.0)
    sv, dv = src[1] - src[0], dst[1] - dst[0]
    scale = float(np.linalg.norm(dv)) / max(float(np.linalg.norm(sv)), 1e-6)
    angle = float(np.arctan2(dv[1], dv[0]) - np.arctan2(sv[1], sv[0]))
    c, s = scale * np.cos(angle), scale * np.sin(angle)
    rot = np.array([[c, -s], [s, c]], dtype=np.float32)
    t = dst[0] - rot @ src[0]
    return np.hstack([rot, t[:, None]]).astype(np.float32)


def aligned_crop(rgb: np.ndarray, face: DetectedFace, size: int = 112) -> np.ndarray:
    """Eye-aligned face crop, the same for every backend (quality metrics use it)."""
    return cv2.warpAffine(rgb, eye_similarity(face, size), (size, size), borderValue=(0, 0, 0))


def l2_normalise(vec: np.ndarray) -> np.ndarray:
    vec = np.asarray(vec, dtype=np.float32).ravel()
    norm = float(np.linalg.norm(vec))
    return vec / norm if norm > 0 else vec
