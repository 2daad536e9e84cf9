"""Telephone audio (G.711 at 8 kHz, 20 ms RTP payloads) <-> a VoiceSession, for a transport that
carries raw G.711 payloads. The SIP endpoint (phone/) does not use it: its RTP library decodes
G.711 itself and the pipeline speaks at 8 kHz there (phone/conversation.py)."""
from __future__ import annotations

from collections.abc import Iterator

import numpy as np

from .. import audio as A
from ..events import BotAudio
from ..pipeline import VoiceSession

PHONE_RATE = 8000
PAYLOAD_SAMPLES = 160  # 20 ms


class PhoneLeg:
    def __init__(self, session: VoiceSession, law: str = "ulaw") -> None:
        if law not in ("ulaw", "alaw"):
            raise ValueError(f"G.711 law must be 'ulaw' or 'alaw', not {law!r}")
        self.session = session
        self._decode = A.ulaw_decode if law == "ulaw" else A.alaw_decode
        self._encode = A.ulaw_encode if law == "ulaw" else A.alaw_encode
        self._up = A.StreamResampler(PHONE_RATE, A.PIPELINE_RATE)
        self._pending = np.zeros(0, np.float32)

    async def receive(self, payload: bytes) -> None:
        """One RTP payload of G.711 from the caller."""
        await self.session.feed_audio(self._up.push(A.pcm16_to_float(self._decode(payload))))

    def payloads(self, event: BotAudio) -> Iterator[bytes]:
        """The robot's audio as 20 ms G.711 payloads (the remainder waits for the next chunk)."""
        audio = A.resample(A.pcm16_to_float(event.pcm), event.sample_rate, PHONE_RATE)
        self._pending = np.concatenate([self._pending, audio])
        while len(self._pending) >= PAYLOAD_SAMPLES or (event.last and len(self._pending)):
            chunk, self._pending = self._pending[:PAYLOAD_SAMPLES], self._pending[PAYLOAD_SAMPLES:]
            chunk = np.pad(chunk, (0, PAYLOAD_SAMPLES - len(chunk)))
            yield self._encode(A.float_to_pcm16(chunk))
