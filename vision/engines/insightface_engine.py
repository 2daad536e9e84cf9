"""insightface backend: SCRFD detector + ArcFace recogniser (ONNX through onnxruntime),
loaded with insightface's own model_zoo from a model-pack directory the deployer supplies
(e.g. an unzipped buffalo_l: det_10g.onnx + w600k_r50.onnx). No pack ships with hallbot and
none is ever downloaded: insightface's public packs are for non-commercial research only,
so a deployer needs a commercial licence or their own models."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from .base import DetectedFace, EngineUnavailable, l2_normalise

DET_PATTERNS = ("det_*.onnx", "scrfd*.onnx")
REC_PATTERNS = ("w600k_*.onnx", "glint*.onnx", "arcface*.onnx", "rec_*.onnx")


def find_pack_files(pack_dir: Path) -> tuple[Path, Path]:
    pack_dir = Path(pack_dir)
    if not pack_dir.is_dir():
        raise EngineUnavailable(f"insightface pack dir {pack_dir} does not exist")

    def first(patterns: tuple[str, ...], what: str) -> Path:
        for pattern in patterns:
            hits = sorted(pack_dir.glob(pattern))
            if hits:
                return hits[0]
        raise EngineUnavailable(f"no {what} model ({' / '.join(patterns)}) in {pack_dir}")

    return first(DET_PATTERNS, "detector"), first(REC_PATTERNS, "recogniser")


class InsightFaceEngine:
    dim = 512

    def __init__(self, pack_dir: Path | str | None = None, det_size: tuple[int, int] = (640, 640),
                 det_thresh: float = 0.5) -> None:
        if pack_dir is None:
            raise EngineUnavailable("insightface backend needs a model pack dir (HALLBOT_INSIGHTFACE_PACK)")
        try:
            from insightface.model_zoo import get_model
            from insightface.utils import face_align
        except ImportError as exc:
            raise EngineUnavailable(f"insightface is not installed: {exc}") from exc
        det_file, rec_file = find_pack_files(Path(pack_dir))
        providers = ["CPUExecutionProvider"]
        try:
            self.detector = get_model(str(det_file), providers=providers)
            self.recogniser = get_model(str(rec_file), providers=providers)
        except Exception as exc:  # onnx/onnxruntime raise many types for a bad file
            raise EngineUnavailable(f"cannot load insightface models from {pack_dir}: {exc}") from exc
        if type(self.detector).__name__ != "SCRFD":
            raise EngineUnavailable(f"{det_file.name} is not an SCRFD detector (got {type(self.detector).__name__})")
        if type(self.recogniser).__name__ != "ArcFaceONNX":
            raise EngineUnavailable(f"{rec_file.name} is not an ArcFace recogniser (got {type(self.recogniser).__name__})")
        self.detector.prepare(-1, input_size=det_size, det_thresh=det_thresh)
        self.recogniser.prepare(-1)
        self.det_size = det_size
        self._align = face_align
        self.dim = int(self.recogniser.output_shape[-1])
        self.name = f"insightface-{rec_file.stem}"
        self._lock = threading.Lock()

    def detect(self, rgb: np.ndarray) -> list[DetectedFace]:
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])  # insightface works in OpenCV's BGR
        with self._lock:
            dets, kpss = self.detector.detect(bgr, input_size=self.det_size)
        faces = []
        for i, det in enumerate(dets):
            if kpss is None:
                raise EngineUnavailable("the SCRFD model has no keypoint outputs; alignment needs them")
            kps = np.asarray(kpss[i], dtype=np.float32)  # left eye, right eye, nose, mouth l, mouth r
            e1, e2 = kps[0], kps[1]
            left, right = (e1, e2) if e1[0] <= e2[0] else (e2, e1)
            x1, y1, x2, y2 = (float(v) for v in det[:4])
            faces.append(DetectedFace(bbox=(x1, y1, x2, y2), score=float(det[4]),
                                      left_eye=tuple(left), right_eye=tuple(right), nose=tuple(kps[2]),
                                      native=kps))
        return faces

    def aligned(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """ArcFace 112x112 crop (BGR) by the 5-point similarity transform insightface uses."""
        bgr = np.ascontiguousarray(rgb[:, :, ::-1])
        return self._align.norm_crop(bgr, landmark=face.native, image_size=self.recogniser.input_size[0])

    def embed(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        crop = self.aligned(rgb, face)
        with self._lock:
            feat = self.recogniser.get_feat(crop)
        return l2_normalise(feat)
