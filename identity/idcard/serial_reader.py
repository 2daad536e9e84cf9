"""Driver: talks the SAM protocol over a byte transport (pyserial for a real reader)."""
from __future__ import annotations

import time
from typing import Protocol

from .base import IdCardData, IdCardReadError
from .sam import (
    FIND_CARD,
    READ_BASIC,
    SELECT_CARD,
    SW_FOUND,
    SW_OK,
    build_command,
    card_from_basic_info,
    check_status,
    frame_length,
    parse_frame,
)


class Transport(Protocol):
    def write(self, data: bytes) -> int | None: ...
    def read(self, size: int) -> bytes: ...  # may return fewer bytes on timeout


def open_serial(port: str, baudrate: int = 115200, timeout: float = 1.0) -> Transport:
    try:
        import serial
    except ImportError as exc:  # pragma: no cover
        raise IdCardReadError("device", f"pyserial 未安装: {exc}") from exc
    try:
        return serial.Serial(port, baudrate=baudrate, timeout=timeout)
    except serial.SerialException as exc:
        raise IdCardReadError("device", f"无法打开身份证阅读器串口 {port}: {exc}") from None


class SamSerialReader:
    def __init__(self, transport: Transport, timeout_s: float = 3.0) -> None:
        self.transport = transport
        self.timeout_s = timeout_s

    def _read_exact(self, n: int, deadline: float) -> bytes:
        buf = b""
        while len(buf) < n:
            if time.monotonic() > deadline:
                raise IdCardReadError("timeout", "身份证阅读器无应答")
            buf += self.transport.read(n - len(buf))
        return buf

    def transact(self, cmd: int, para: int) -> bytes:
        self.transport.write(build_command(cmd, para))
        deadline = time.monotonic() + self.timeout_s
        header = self._read_exact(7, deadline)
        rest = self._read_exact(frame_length(header) - 7, deadline)
        return header + rest

    def read(self) -> IdCardData:
        check_status(parse_frame(self.transact(*FIND_CARD)), ok=(SW_FOUND, SW_OK))
        check_status(parse_frame(self.transact(*SELECT_CARD)))
        frame = check_status(parse_frame(self.transact(*READ_BASIC)))
        return card_from_basic_info(frame.data)
