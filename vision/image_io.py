"""Turn whatever the camera/kiosk sends (JPEG/PNG bytes, a path, an ndarray) into RGB uint8.
Encoded images are checked before decoding: their size in bytes, then the pixel dimensions read
from the header alone (PIL's lazy open), so a small file claiming 20000x20000 pixels (1.2 GB
decoded) is refused without allocating it."""
from __future__ import annotations

import io
import warnings
from pathlib import Path

import cv2
import numpy as np
from PIL import Image, UnidentifiedImageError

MAX_IMAGE_BYTES = 8 << 20            # a camera frame is ~50 KB, an ID card photo ~40 KB
MAX_IMAGE_PIXELS = 4096 * 3072       # 12.6 MP (a phone photo); 38 MB decoded as RGB
MAX_IMAGE_SIDE = 8192


class BadImage(ValueError):
    """The input is not a usable image; the message says why."""


def check_encoded(data: bytes, max_bytes: int = MAX_IMAGE_BYTES, max_pixels: int = MAX_IMAGE_PIXELS) -> tuple[int, int]:
    """(width, height) from the header of an encoded image within the limits, else BadImage."""
    if len(data) > max_bytes:
        raise BadImage(f"image too large: {len(data)} bytes (limit {max_bytes})")
    try:
        with warnings.catch_warnings():       # the limit is ours; PIL's own bomb warning is noise here
            warnings.simplefilter("ignore", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(data)) as header:   # lazy: reads the header, decodes nothing
                width, height = header.size
    except Image.DecompressionBombError:
        raise BadImage(f"image dimensions too large (limit {max_pixels} pixels)") from None
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        raise BadImage("image data is corrupt or not JPEG/PNG/BMP") from None
    if width <= 0 or height <= 0 or width * height > max_pixels or max(width, height) > MAX_IMAGE_SIDE:
        raise BadImage(f"image dimensions too large: {width}x{height} (limit {max_pixels} pixels)")
    return width, height


def to_rgb(image: bytes | bytearray | memoryview | np.ndarray | str | Path, max_bytes: int = MAX_IMAGE_BYTES,
           max_pixels: int = MAX_IMAGE_PIXELS) -> np.ndarray:
    if isinstance(image, (str, Path)):
        try:
            if Path(image).stat().st_size > max_bytes:
                raise BadImage(f"image file too large: {Path(image).stat().st_size} bytes (limit {max_bytes})")
            image = Path(image).read_bytes()
        except OSError as exc:
            raise BadImage(f"cannot read image file: {exc.strerror}") from None
    if isinstance(image, (bytes, bytearray, memoryview)):
        data = bytes(image)
        if not data:
            raise BadImage("empty image data")
        check_encoded(data, max_bytes, max_pixels)
        buf = np.frombuffer(data, dtype=np.uint8)
        bgr = cv2.imdecode(buf, cv2.IMREAD_COLOR)
        if bgr is None:
            raise BadImage("image data is corrupt or not JPEG/PNG/BMP")
        return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)
    if isinstance(image, np.ndarray):
        return _array_to_rgb(image)
    raise BadImage(f"unsupported image type {type(image).__name__}")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    """Gray, RGB or RGBA; uint8 or float (0..1 or 0..255) -> contiguous HxWx3 uint8 RGB."""
    if array.size == 0:
        raise BadImage("empty image array")
    if array.ndim == 2:
        array = np.stack([array] * 3, axis=-1)
    if array.ndim != 3 or array.shape[2] not in (3, 4):
        raise BadImage(f"image array must be HxWx3 RGB, got shape {array.shape}")
    if array.shape[2] == 4:
        array = array[:, :, :3]
    if array.dtype != np.uint8:
        if np.issubdtype(array.dtype, np.floating) and float(np.nanmax(array)) <= 1.0:
            array = array * 255.0
        array = np.clip(np.nan_to_num(array), 0, 255).astype(np.uint8)
    return np.ascontiguousarray(array)


def encode_jpeg(rgb: np.ndarray, quality: int = 90) -> bytes:
    ok, buf = cv2.imencode(".jpg", cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR), [cv2.IMWRITE_JPEG_QUALITY, quality])
    if not ok:
        raise BadImage("cannot encode JPEG")
    return buf.tobytes()
