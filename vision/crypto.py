"""Encryption of face templates at rest (Fernet = AES-128-CBC + HMAC-SHA256).
Key: HALLBOT_FACE_KEY, else <var>/face.key, generated on first use with 0600 permissions."""
from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from cryptography.fernet import Fernet, InvalidToken


class TemplateCipherError(RuntimeError):
    """A stored template cannot be decrypted (wrong key or corrupt row)."""


def load_or_create_key(var_dir: Path, key: str | None = None) -> bytes:
    if key:
        return key.encode() if isinstance(key, str) else key
    path = Path(var_dir) / "face.key"
    if path.exists():
        return path.read_bytes().strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    new = Fernet.generate_key()
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:  # another process won the race
        return path.read_bytes().strip()
    with os.fdopen(fd, "wb") as fh:
        fh.write(new)
    return new


class TemplateCipher:
    def __init__(self, key: bytes) -> None:
        try:
            self._fernet = Fernet(key)
        except (ValueError, TypeError) as exc:
            raise TemplateCipherError(f"HALLBOT_FACE_KEY is not a valid Fernet key: {exc}") from None

    def encrypt(self, vec: np.ndarray) -> bytes:
        return self._fernet.encrypt(np.asarray(vec, dtype="<f4").tobytes())

    def decrypt(self, token: bytes, dim: int) -> np.ndarray:
        try:
            raw = self._fernet.decrypt(bytes(token))
        except InvalidToken:
            raise TemplateCipherError("face template cannot be decrypted: wrong HALLBOT_FACE_KEY?") from None
        vec = np.frombuffer(raw, dtype="<f4")
        if vec.size != dim:
            raise TemplateCipherError(f"face template has {vec.size} values, expected {dim}")
        return vec.astype(np.float32)
