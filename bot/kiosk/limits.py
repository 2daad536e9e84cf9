"""What one kiosk connection may cost the app server: a connection cap, a size cap on camera
frames, one frame worker per kiosk (newest frame wins) behind a decoder gate shared by all kiosks,
and a rate limit with a bound on queued text / ID-card messages. Settings: hallbot/settings.py."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

from hallbot.settings import KioskSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class KioskLimits:
    max_connections: int = 16           # kiosk WebSockets open at once (a hall has a handful)
    max_frame_bytes: int = 1 << 20      # one camera JPEG (640x480 is ~50 KB)
    decode_workers: int = 2             # camera frames decoded at once, all kiosks together
    text_per_s: float = 2.0             # text / button / keypad / ID-card messages per kiosk ...
    text_burst: int = 6                 # ... with this burst
    max_queued: int = 4                 # such messages waiting for their dialogue turn per kiosk

    @property
    def max_msg_size(self) -> int:
        """The WebSocket's own message cap: a frame plus its tag byte (JSON and audio are far smaller)."""
        return self.max_frame_bytes + 1

    @classmethod
    def from_env(cls) -> KioskLimits:
        k = KioskSettings.from_env()
        return cls(max_connections=k.max_connections, max_frame_bytes=k.max_frame_bytes, decode_workers=k.decode_workers)


class TokenBucket:
    def __init__(self, rate_per_s: float, burst: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.rate, self.burst, self.clock = rate_per_s, burst, clock
        self._tokens, self._at = float(burst), clock()

    def take(self) -> bool:
        now = self.clock()
        self._tokens = min(self.burst, self._tokens + (now - self._at) * self.rate)
        self._at = now
        if self._tokens >= 1:
            self._tokens -= 1
            return True
        return False


class FrameWorker:
    """One kiosk's camera frames: a one-frame slot and one worker. A frame arriving while another is
    analysed replaces the waiting one (newest wins, older dropped); `gate` bounds how many kiosks
    decode at once."""

    def __init__(self, process: Callable[[bytes], Awaitable[None]], gate: asyncio.Semaphore | None = None,
                 name: str = "") -> None:
        self._process, self._gate, self.name = process, gate, name
        self._frame: bytes | None = None
        self._wake = asyncio.Event()
        self.dropped = self.processed = 0

    def offer(self, frame: bytes) -> None:
        if self._frame is not None:
            self.dropped += 1
        self._frame = frame
        self._wake.set()

    async def run(self) -> None:
        while True:
            await self._wake.wait()
            self._wake.clear()
            frame, self._frame = self._frame, None
            if frame is None:
                continue
            try:
                if self._gate is None:
                    await self._process(frame)
                else:
                    async with self._gate:
                        await self._process(frame)
            except asyncio.CancelledError:
                raise
            except Exception as exc:   # noqa: BLE001 - one bad frame must not stop the camera
                log.warning("kiosk %s: camera frame dropped: %s", self.name, exc)
            self.processed += 1
