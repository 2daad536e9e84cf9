"""Turn whatever the camera/kiosk sends (JPEG/PNG bytes, a path, an ndarray) into RGB uint8."""
from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


class BadImage(ValueError):
    """The input is not a usable image; the message says why."""


def to_rgb(image: bytes | bytearray | memoryview | np.ndarray | str | Path) -> np.ndarray:
    if isinstance(image, (str, Path)):
        try:
            image = Path(image).read_bytes()
        except OSError as exc:
            raise BadImage(f"cannot read image file: {exc.strerror}") from None
    if isinstance(image, (bytes, bytearray, memoryview)):
        buf = np.frombuffer(bytes(image), dtype=np.uint8)
        if buf.size == 0:
            raise BadImage("empty image data")
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if bgr is None:
            raise BadImage("image data is corrupt or not JPEG/PNG/BMP")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if isinstance(image, np.ndarray):
        if image.size == 0:
            raise BadImage("empty image array")
        if image.ndim == 2:
            image = np.stack([image] * 3, axis=-1)
        if image.ndim != 3 or image.shape[2] not in (3, 4):
            raise BadImage(f"image array must be HxWx3 RGB, got shape {image.shape}")
        if image.shape[2] == 4:
            image = image[:, :, :3]
        if image.dtype != np.uint8:
            if np.issubdtype(image.dtype, np.floating) and float(np.nanmax(image)) <= 1.0:
                image = image * 255.0
            image = np.clip(np.nan_to_num(image), 0, 255).astype(np.uint8)
        return np.ascontiguousarray(image)
    raise BadImage(f"unsupported image type {type(image).__name__}")


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadImage("cannot encode JPEG")
    return buf.tobytes()
