"""A call's RTP media: aiortp's session (G.711 codec, jitter buffer ordering by sequence number,
RFC 4733 telephone-event) behind a source guard, with our own 20 ms send clock.

Symmetric RTP (RFC 4961): we send to where the caller's packets come from, which behind NAT is
not the address in its SDP. aiortp's own `symmetric_rtp` follows *any* new source, so a stranger
who guesses the port could take the call's audio over; the guard instead latches once, on the
first packet from the SDP's host or the host the INVITE came from, and ignores every other source
and every payload type that was not negotiated. The send clock sends a 20 ms frame every 20 ms,
the robot's voice when there is some and silence otherwise, so the caller's jitter buffer and a
NAT binding see a steady stream, and a barge-in drops what is queued at once."""
from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field

from aiortp import PortAllocator, RTPSession, get_codec

from .sdp import Choice

log = logging.getLogger(__name__)

FRAME_S = 0.02
FRAME_SAMPLES = 160          # 20 ms at 8 kHz
FRAME_BYTES = FRAME_SAMPLES * 2
CN_PAYLOAD_TYPE = 13
MAX_LATE_S = 0.1             # the loop fell this far behind: restart the clock rather than burst


@dataclass
class SourceGuard:
    """Which datagrams belong to the call: pure, so the rule is testable without sockets."""
    expected_hosts: frozenset[str]
    payload_types: frozenset[int]
    latched: tuple[str, int] | None = None
    rejected: int = 0
    counts: dict[str, int] = field(default_factory=dict)

    def admit(self, data: bytes, addr: tuple[str, int]) -> bool:
        """True for the call's packets; the first accepted source becomes the only one."""
        if len(data) < 12 or data[0] >> 6 != 2 or (data[1] & 0x7F) not in self.payload_types:
            return self._reject("not our RTP")
        if self.latched is None:
            if addr[0] not in self.expected_hosts:
                return self._reject("unexpected source")
            self.latched = addr
            return True
        return addr == self.latched or self._reject("unexpected source")

    def _reject(self, why: str) -> bool:
        self.rejected += 1
        self.counts[why] = self.counts.get(why, 0) + 1
        return False


class GuardedSession(RTPSession):
    """aiortp's session that only hears what the guard admits, and sends to the latched source."""
    guard: SourceGuard | None = None     # set right after binding; until then nothing is admitted

    def _handle_rtp(self, data: bytes, addr: tuple[str, int]) -> None:
        guard = self.guard
        if guard is None:
            return
        first = guard.latched is None
        if not guard.admit(data, addr):
            return
        if first:
            self.update_remote(addr)
        super()._handle_rtp(data, addr)


class CallMedia:
    """One call's audio: PCM16 8 kHz in (callback) and out (`play`), DTMF digits in (callback)."""

    def __init__(self, session: GuardedSession, silence: bytes) -> None:
        """Use `open`."""
        self.session = session
        self._queue: deque[bytes] = deque()
        self._silence = silence
        self._pending = b""
        self._clock: asyncio.Task | None = None
        self.frames_sent = 0

    @classmethod
    async def open(cls, host: str, ports: PortAllocator, choice: Choice, remote: tuple[str, int], signalling_host: str,
                   on_audio: Callable[[bytes], None], on_dtmf: Callable[[str], None]) -> CallMedia:
        codec = get_codec(0 if choice.codec == "PCMU" else 8)   # also when the caller numbers it dynamically
        dtmf_pt = choice.dtmf_payload_type if choice.dtmf_payload_type is not None else 101
        session = await GuardedSession.create(local_addr=(host, 0), remote_addr=remote, payload_type=choice.payload_type,
                                              codec=codec, dtmf_payload_type=dtmf_pt, port_allocator=ports)
        assert isinstance(session, GuardedSession)   # aiortp's factory builds cls, typed as its base
        allowed = {choice.payload_type, CN_PAYLOAD_TYPE} | ({dtmf_pt} if choice.dtmf_payload_type is not None else set())
        session.guard = SourceGuard(frozenset({remote[0], signalling_host}), frozenset(allowed))
        session.on_audio = lambda pcm, _ts: on_audio(pcm)
        session.on_dtmf = lambda digit, _duration: on_dtmf(digit)
        media = cls(session, b"\x00" * FRAME_BYTES)
        media._clock = asyncio.create_task(media._send_clock(), name="rtp-send")
        return media

    @property
    def local_port(self) -> int:
        port = self.session._allocated_rtp_port   # aiortp records the pair it took from the allocator here
        assert port is not None
        return port

    @property
    def guard(self) -> SourceGuard:
        assert self.session.guard is not None
        return self.session.guard

    def play(self, pcm16: bytes) -> None:
        """PCM16 8 kHz mono, any length; queued as 20 ms frames (a remainder waits for more)."""
        data = self._pending + pcm16
        whole = len(data) - len(data) % FRAME_BYTES
        self._queue.extend(data[i:i + FRAME_BYTES] for i in range(0, whole, FRAME_BYTES))
        self._pending = data[whole:]

    def finish_playback(self) -> None:
        """The end of an utterance: send the remainder padded to a whole frame."""
        if self._pending:
            self._queue.append(self._pending.ljust(FRAME_BYTES, b"\x00"))
            self._pending = b""

    def cancel_playback(self) -> None:
        self._queue.clear()
        self._pending = b""

    @property
    def queued_s(self) -> float:
        return len(self._queue) * FRAME_S

    async def _send_clock(self) -> None:
        loop = asyncio.get_running_loop()
        deadline = loop.time()
        while True:
            frame = self._queue.popleft() if self._queue else self._silence
            self.session.send_audio_pcm_auto(frame)
            self.frames_sent += 1
            deadline += FRAME_S
            delay = deadline - loop.time()
            if delay < -MAX_LATE_S:
                deadline, delay = loop.time(), 0.0
            await asyncio.sleep(max(0.0, delay))

    async def close(self) -> None:
        if self._clock is not None:
            self._clock.cancel()
            await asyncio.gather(self._clock, return_exceptions=True)
        await self.session.close()
