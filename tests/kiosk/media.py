"""Camera frames and speech clips for kiosk tests, made from real photos and real synthesis."""
from __future__ import annotations

import numpy as np


def in_frame(portrait: np.ndarray, width: int = 640, height: int = 480, dx: int = 0) -> np.ndarray:
    """A camera frame: the portrait centred (shifted by dx) on a plain wall."""
    frame = np.full((height, width, 3), (188, 192, 196), np.uint8)
    h, w = portrait.shape[:2]
    y, x = (height - h) // 2, (width - w) // 2 + dx
    frame[y:y + h, x:x + w] = portrait
    return frame


def empty_frame(width: int = 640, height: int = 480) -> np.ndarray:
    return np.full((height, width, 3), (188, 192, 196), np.uint8)


def astronaut_portrait() -> np.ndarray:
    from vision.sample_faces import identities

    return identities()["astronaut"]
