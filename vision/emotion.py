"""Facial-expression classifier (7 classes) and the per-session emotion timeline (seed 002:
risk review and service rating). Model: fer's mini-Xception TFLite, bundled in vision/models."""
from __future__ import annotations

import threading
from collections import Counter
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from hallbot.settings import VisionSettings

from .engines.base import DetectedFace

LABELS = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
NEGATIVE = {"angry", "disgust", "fear", "sad"}
DEFAULT_MODEL = Path(__file__).parent / "models" / "emotion_model_quantized.tflite"


class EmotionUnavailable(RuntimeError):
    pass


@dataclass(frozen=True)
class Emotion:
    label: str
    confidence: float
    probabilities: dict[str, float]


class EmotionClassifier:
    def __init__(self, model_path: Path | str | None = None) -> None:
        path = Path(model_path or VisionSettings.from_env().emotion_model or DEFAULT_MODEL)
        if not path.is_file():
            raise EmotionUnavailable(f"emotion model {path} not found")
        try:
            from ai_edge_litert.interpreter import Interpreter
        except ImportError as exc:
            raise EmotionUnavailable(f"ai-edge-litert is not installed: {exc}") from exc
        self._interp = Interpreter(model_path=str(path), num_threads=1)
        self._interp.allocate_tensors()
        self._in = self._interp.get_input_details()[0]
        self._out = self._interp.get_output_details()[0]
        self.size = int(self._in["shape"][1])
        self._lock = threading.Lock()

    def face_crop(self, rgb: np.ndarray, face: DetectedFace) -> np.ndarray:
        """Grey square around the detector box, 10 % padding, like fer's own cascade crops."""
        x1, y1, x2, y2 = face.bbox
        side = max(x2 - x1, y2 - y1) * 1.2
        cx, cy = (x1 + x2) / 2, (y1 + y2) / 2
        h, w = rgb.shape[:2]
        a, b = int(max(cx - side / 2, 0)), int(max(cy - side / 2, 0))
        c, d = int(min(cx + side / 2, w)), int(min(cy + side / 2, h))
        gray = cv2.cvtColor(rgb[b:d, a:c], cv2.COLOR_RGB2GRAY)
        return cv2.resize(gray, (self.size, self.size), interpolation=cv2.INTER_AREA)

    def classify_gray(self, gray64: np.ndarray) -> Emotion:
        x = (gray64.astype(np.float32) / 255.0 - 0.5) * 2.0  # fer's "v2" preprocessing
        x = x.reshape(self._in["shape"]).astype(self._in["dtype"])
        with self._lock:
            self._interp.set_tensor(self._in["index"], x)
            self._interp.invoke()
            probs = self._interp.get_tensor(self._out["index"])[0].astype(float)
        i = int(np.argmax(probs))
        return Emotion(LABELS[i], round(float(probs[i]), 4), {label: round(float(p), 4) for label, p in zip(LABELS, probs)})

    def classify(self, rgb: np.ndarray, face: DetectedFace) -> Emotion:
        return self.classify_gray(self.face_crop(rgb, face))


class EmotionTimeline:
    """What the customer's face showed during one session, in time order."""

    def __init__(self, max_samples: int = 2000) -> None:
        self.samples: list[tuple[float, Emotion]] = []
        self.max_samples = max_samples

    def add(self, ts: float, emotion: Emotion) -> None:
        self.samples.append((ts, emotion))
        del self.samples[:-self.max_samples]

    def summary(self) -> dict[str, object]:
        counts = Counter(e.label for _, e in self.samples)
        n = len(self.samples)
        return {
            "samples": n,
            "counts": dict(counts),
            "dominant": counts.most_common(1)[0][0] if n else None,
            "negative_share": round(sum(counts[label] for label in NEGATIVE) / n, 3) if n else 0.0,
            "start": self.samples[0][0] if n else None,
            "end": self.samples[-1][0] if n else None,
        }

    def to_list(self) -> list[dict[str, object]]:
        return [{"ts": ts, "label": e.label, "confidence": e.confidence} for ts, e in self.samples]
