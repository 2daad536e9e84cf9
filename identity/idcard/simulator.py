"""File-backed simulator for demos and tests, and a device-side emulator of the SAM protocol.

Simulator directory:  card.json  (fields of IdCardData; optional "photo": file name, default
photo.jpg; optional "error": an IdCardReadError code to simulate a failed read).
No card.json = no card on the reader."""
from __future__ import annotations

import json
from dataclasses import asdict, fields
from pathlib import Path

from .base import IdCardData, IdCardReadError
from .sam import (
    FIND_CARD,
    READ_BASIC,
    SELECT_CARD,
    SW_FOUND,
    SW_MESSAGES,
    SW_OK,
    basic_info_payload,
    build_response,
    parse_command,
)

_FIELDS = {f.name for f in fields(IdCardData)} - {"photo", "photo_format"}


class DirectorySimulator:
    def __init__(self, directory: Path | str) -> None:
        self.directory = Path(directory)

    def read(self) -> IdCardData:
        path = self.directory / "card.json"
        if not path.is_file():
            raise IdCardReadError("no_card", "未检测到身份证，请将身份证放在阅读区")
        try:
            spec = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
            raise IdCardReadError("bad_frame", f"模拟卡文件无法解析: {exc}") from None
        if spec.get("error"):
            code = str(spec["error"])
            msg = next((m for c, m in SW_MESSAGES.values() if c == code), "模拟读卡失败")
            raise IdCardReadError(code, msg)
        missing = sorted(_FIELDS - spec.keys())
        if missing:
            raise IdCardReadError("bad_frame", f"模拟卡缺少字段: {', '.join(missing)}")
        photo_path = self.directory / spec.get("photo", "photo.jpg")
        photo = photo_path.read_bytes() if photo_path.is_file() else b""
        fmt = {".jpg": "jpeg", ".jpeg": "jpeg", ".png": "png", ".bmp": "bmp", ".wlt": "wlt"}.get(
            photo_path.suffix.lower(), "unknown")
        return IdCardData(**{k: str(spec[k]) for k in _FIELDS}, photo=photo, photo_format=fmt)

    @staticmethod
    def write(directory: Path | str, card: IdCardData, photo_name: str = "photo.jpg") -> Path:
        d = Path(directory)
        d.mkdir(parents=True, exist_ok=True)
        spec = {k: v for k, v in asdict(card).items() if k in _FIELDS}
        spec["photo"] = photo_name
        (d / "card.json").write_text(json.dumps(spec, ensure_ascii=False, indent=1), encoding="utf-8")
        if card.photo:
            (d / photo_name).write_bytes(card.photo)
        return d


class SamEmulator:
    """Answers host command frames like a reader with `card` on it (None = no card).
    `fail_read` makes the read command fail with SW 0x41; `corrupt` flips the checksum."""

    def __init__(self, card: IdCardData | None, fail_read: bool = False, corrupt: bool = False) -> None:
        self.card, self.fail_read, self.corrupt = card, fail_read, corrupt

    def respond(self, command: bytes) -> bytes:
        try:
            cmd, para, _ = parse_command(command)
        except IdCardReadError:
            return build_response(0x10)
        if (cmd, para) == FIND_CARD:
            out = build_response(SW_FOUND, b"\x00" * 4) if self.card else build_response(0x80)
        elif (cmd, para) == SELECT_CARD:
            out = build_response(SW_OK, b"\x00" * 8) if self.card else build_response(0x81)
        elif (cmd, para) == READ_BASIC:
            if self.card is None or self.fail_read:
                out = build_response(0x41)
            else:
                out = build_response(SW_OK, basic_info_payload(self.card))
        else:
            out = build_response(0x21)
        if self.corrupt:
            out = out[:-1] + bytes([out[-1] ^ 0xFF])
        return out
