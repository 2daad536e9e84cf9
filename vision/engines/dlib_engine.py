"""Default backend: dlib HOG detector, 5-point landmarks and the ResNet 128-d embedding from
the `face-recognition-models` package (weights CC0 / Boost licence; we never load the
68-point model, whose iBUG training data is non-commercial)."""
from __future__ import annotations

import importlib.util
import threading
from pathlib import Path

import numpy as np

from .base import DetectedFace, EngineUnavailable, l2_normalise


def models_dir() -> Path:
    # face_recognition_models/__init__ imports pkg_resources (gone from new setuptools):
    # locate the package without importing it.
    spec = importlib.util.find_spec("face_recognition_models")
    if spec is None or not spec.submodule_search_locations:
        raise EngineUnavailable("face-recognition-models is not installed")
    return Path(list(spec.submodule_search_locations)[0]) / "models"


class DlibEngine:
    name = "dlib-resnet-v1"
    dim = 128

    def __init__(self, upsample: int = 0, small_image_px: int = 400, use_cnn: bool = False) -> None:
        try:
            import dlib
        except ImportError as exc:  # pragma: no cover - dependency missing
            raise EngineUnavailable(f"dlib is not installed: {exc}") from exc
        root = models_dir()
        try:
            self._detector = (dlib.cnn_face_detection_model_v1(str(root / "mmod_human_face_detector.dat"))
                              if use_cnn else dlib.get_frontal_face_detector())
            self._shape = dlib.shape_predictor(str(root / "shape_predictor_5_face_landmarks.dat"))
            self._net = dlib.face_recognition_model_v1(str(root / "dlib_face_recognition_resnet_model_v1.dat"))
        except RuntimeError as exc:
            raise EngineUnavailable(f"cannot load dlib models from {root}: {exc}") from exc
        self._use_cnn = use_cnn
        self.upsample = upsample
        self.small_image_px = small_image_px
        self._lock = threading.Lock()  # dlib objects are not documented as thread-safe

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        # Small images (ID-card photos, far crops) need upsampling; HOG finds faces >= ~80 px.
        up = self.upsample + (1 if min(rgb.shape[:2]) < self.small_image_px else 0)
        with self._lock:
            if self._use_cnn:
                dets = self._detector(rgb, up)
                rects, scores = [d.rect for d in dets], [d.confidence for d in dets]
            else:
                rects, scores, _ = self._detector.run(rgb, up, 0.0)
            faces = []
            for rect, score in zip(rects, scores):
                shape = self._shape(rgb, rect)
                pts = np.array([(p.x, p.y) for p in shape.parts()], dtype=np.float32)
                # 5-point model: 0-1 one eye's corners, 2-3 the other's, 4 under the nose.
                e1, e2 = pts[0:2].mean(axis=0), pts[2:4].mean(axis=0)
                left, right = (e1, e2) if e1[0] <= e2[0] else (e2, e1)
                h, w = rgb.shape[:2]
                bbox = (float(max(rect.left(), 0)), float(max(rect.top(), 0)),
                        float(min(rect.right(), w - 1)), float(min(rect.bottom(), h - 1)))
                faces.append(DetectedFace(bbox=bbox, score=float(score),
                                          left_eye=tuple(left), right_eye=tuple(right),
                                          nose=tuple(pts[4]), native=shape))
        return faces

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        with self._lock:
            vec = self._net.compute_face_descriptor(rgb, face.native, 0)
        return l2_normalise(np.array(vec))
