"""Photo decoders for the card image."""
from __future__ import annotations

from .base import IdCardReadError


class ImageBytesDecoder:
    """Accepts photos that are already JPEG/PNG/BMP (simulator, readers that decode on board).
    WLT needs the reader vendor's licensed library: wrap it in a PhotoDecoder of your own."""

    MAGIC = {b"\xff\xd8": "jpeg", b"\x89P": "png", b"BM": "bmp"}

    def decode(self, photo: bytes, fmt: str) -> bytes:
        if not photo:
            raise IdCardReadError("photo_decode", "身份证照片为空")
        if photo[:2] in self.MAGIC:
            return photo
        if fmt == "wlt":
            raise IdCardReadError("photo_decode", "身份证照片为WLT格式，需要配置阅读器厂商的解码库")
        raise IdCardReadError("photo_decode", f"无法识别的照片格式 {fmt}")
