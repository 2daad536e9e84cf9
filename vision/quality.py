"""Quality gate: is this face good enough to identify? Size, frontal pose from landmarks,
sharpness, brightness. Plus a light enhancement for dark or soft frames (seed 000:
select clear frontal frames, enhance dark/blurred ones)."""
from __future__ import annotations

import math
from dataclasses import dataclass, field

import cv2
import numpy as np

from .engines.base import DetectedFace, aligned_crop


@dataclass(frozen=True)
class QualityLimits:
    min_face_px: int = 60
    max_yaw: float = 0.35
    max_roll_deg: float = 30.0  # roll is undone by alignment; yaw is what hurts
    min_sharpness: float = 40.0
    min_brightness: float = 60.0
    max_brightness: float = 210.0


@dataclass
class QualityReport:
    ok: bool
    reason: str  # "" when ok
    metrics: dict[str, float] = field(default_factory=dict)

    @property
    def score(self) -> float:
        """0..1, higher is better; ranks the frames of a track."""
        m = self.metrics
        frontal = max(0.0, 1.0 - abs(m.get("yaw", 1.0)) / 0.5) * max(0.0, 1.0 - abs(m.get("roll", 45.0)) / 45.0)
        sharp = min(m.get("sharpness", 0.0) / 300.0, 1.0)
        light = max(0.0, 1.0 - abs(m.get("brightness", 0.0) - 130.0) / 130.0)
        size = min(m.get("size", 0.0) / 160.0, 1.0)
        return round(0.35 * frontal + 0.25 * sharp + 0.2 * light + 0.2 * size, 4)


def pose(face: DetectedFace) -> tuple[float, float]:
    """(yaw, roll_deg): yaw = sideways nose offset from the eye midpoint in units of the
    inter-eye distance (0 = frontal); roll = tilt of the eye line."""
    le, re, nose = (np.asarray(p, dtype=np.float64) for p in (face.left_eye, face.right_eye, face.nose))
    d = re - le
    dist = float(np.hypot(*d)) or 1e-6
    roll = math.degrees(math.atan2(d[1], d[0]))
    axis = d / dist
    yaw = float(np.dot(nose - (le + re) / 2.0, axis)) / dist
    return yaw, roll


def measure(rgb: np.ndarray, face: DetectedFace) -> dict[str, float]:
    crop = aligned_crop(rgb, face, 112)
    gray = cv2.cvtColor(crop, cv2.COLOR_RGB2GRAY)
    inner = gray[24:104, 20:92]  # skin area; ignores the black border of the warp
    yaw, roll = pose(face)
    return {
        "size": float(face.size),
        "yaw": round(yaw, 4),
        "roll": round(roll, 2),
        "sharpness": round(float(cv2.Laplacian(inner, cv2.CV_64F).var()), 2),
        "brightness": round(float(inner.mean()), 2),
    }


def assess(rgb: np.ndarray, face: DetectedFace, limits: QualityLimits) -> QualityReport:
    m = measure(rgb, face)
    if m["size"] < limits.min_face_px:
        reason = "too_small"
    elif abs(m["yaw"]) > limits.max_yaw or abs(m["roll"]) > limits.max_roll_deg:
        reason = "not_frontal"
    elif m["brightness"] < limits.min_brightness:
        reason = "too_dark"
    elif m["brightness"] > limits.max_brightness:
        reason = "too_bright"
    elif m["sharpness"] < limits.min_sharpness:
        reason = "blurry"
    else:
        reason = ""
    return QualityReport(ok=not reason, reason=reason, metrics=m)


def enhance(rgb: np.ndarray, reason: str) -> np.ndarray | None:
    """A corrected copy for the fixable rejections (dark, soft), else None."""
    if reason == "too_dark":
        lab = cv2.cvtColor(rgb, cv2.COLOR_RGB2LAB)
        lum = lab[:, :, 0]
        mean = max(float(lum.mean()), 1.0)
        gamma = min(max(math.log(130.0 / 255.0) / math.log(mean / 255.0), 0.3), 1.0)
        table = (np.linspace(0, 1, 256) ** gamma * 255).astype(np.uint8)
        lab[:, :, 0] = cv2.createCLAHE(clipLimit=2.0, tileGridSize=(8, 8)).apply(cv2.LUT(lum, table))
        return cv2.cvtColor(lab, cv2.COLOR_LAB2RGB)
    if reason == "blurry":
        soft = cv2.GaussianBlur(rgb, (0, 0), 2.0)
        return cv2.addWeighted(rgb, 2.0, soft, -1.0, 0)
    return None
