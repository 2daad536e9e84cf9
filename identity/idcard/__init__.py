"""Resident ID card reading: the reader interface, a driver for the common serial SAM
reader protocol, a file-backed simulator and field validation."""
from .base import IdCardData, IdCardReader, IdCardReadError, PhotoDecoder

__all__ = ["IdCardData", "IdCardReader", "IdCardReadError", "PhotoDecoder"]
