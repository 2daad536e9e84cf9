"""Encoded images are checked before decoding: bytes, then the pixel dimensions from the header.
Before, a 4 MB PNG claiming 20000x20000 pixels was decoded (1.2 GB per frame) and only then failed."""
from __future__ import annotations

import struct
import zlib

import numpy as np
import pytest

from vision.image_io import BadImage, check_encoded, encode_jpeg, to_rgb


def png_header(width: int, height: int) -> bytes:
    """A tiny PNG whose header claims width x height pixels (its data is one row)."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", zlib.compress(b"\0" * (width * 3 + 1)))
            + chunk(b"IEND", b""))


@pytest.mark.parametrize("width, height", [(20000, 20000), (5000, 5000), (60000, 10)])
def test_huge_dimensions_are_refused_from_the_header(width, height):
    with pytest.raises(BadImage, match="dimensions too large"):
        to_rgb(png_header(width, height))


def test_byte_limit_and_a_normal_frame():
    jpeg = encode_jpeg(np.full((480, 640, 3), 128, np.uint8))
    assert check_encoded(jpeg) == (640, 480) and to_rgb(jpeg).shape == (480, 640, 3)
    with pytest.raises(BadImage, match="too large"):
        to_rgb(jpeg, max_bytes=len(jpeg) - 1)
    with pytest.raises(BadImage, match="dimensions"):
        to_rgb(jpeg, max_pixels=640 * 480 - 1)
    with pytest.raises(BadImage, match="corrupt"):
        to_rgb(b"not an image at all")
