"""A call's conversation: the caller's audio through the shared voice pipeline (VAD, ASR, Rasa,
TTS at 8 kHz) and keys into text, the robot's voice back to the RTP media.

The brain is Rasa over HTTP (bot/rasa_client.py), one conversation per call under the id the
call minted (`phone:<random>`). What the caller says or keys is sent as text, never as an intent:
the digits keyed before "#" are the caller's text ("12345678#" sends "12345678"). Only "0" pressed
as the first key, the menu item the greeting offers, presses the fixed `/request_human` payload
(as the kiosk's "人工服务" button does); inside a number a 0 is a digit. "*" clears what was keyed.
Nothing here identifies the caller: the caller ID proves nothing (docs/phone.md)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Protocol

from identity.masking import mask_text
from voice import audio as A
from voice.events import BotAudio, BotText, PlaybackCancelled, SilenceTimeout, StageTimings, Transcript, VoiceError
from voice.pipeline import VoicePipeline, VoiceSession

log = logging.getLogger(__name__)

PHONE_RATE = 8000
GREETING = ("您好，这里是供电服务智能客服。我是人工智能助手，本次通话可能会被录音。"
            "请直接说出您要办理的业务。输入号码后请按井号键结束，按零转人工服务。")
HUMAN_PAYLOAD = "/request_human"
MAX_KEYED_DIGITS = 32
FAREWELL = "感谢您的来电，再见。"


class Brain(Protocol):
    """The dialogue the caller talks to (Rasa): replies to a customer's text or to a menu item."""

    async def say(self, conversation_id: str, text: str) -> list[str]: ...

    async def press(self, conversation_id: str, payload: str) -> list[str]: ...


class AudioOut(Protocol):
    """Where the robot's voice goes (phone.rtp.CallMedia)."""

    def play(self, pcm16: bytes) -> None: ...

    def finish_playback(self) -> None: ...

    def cancel_playback(self) -> None: ...


@dataclass
class KeyBuffer:
    """The keys a caller presses, as a pure machine: each key -> what to do, if anything."""
    digits: str = ""
    pressed: int = 0

    def key(self, digit: str) -> tuple[str, str] | None:
        """("text", digits) when "#" ends a number, ("human", "") for a first "0", else None."""
        self.pressed += 1
        if digit == "0" and not self.digits:
            return ("human", "")
        if digit == "#":
            digits, self.digits = self.digits, ""
            return ("text", digits) if digits else None
        if digit == "*":
            self.digits = ""
        elif digit.isdigit() and len(self.digits) < MAX_KEYED_DIGITS:
            self.digits += digit
        return None


@dataclass
class CallRecord:
    """What the call did, for tests and the benchmark (no audio, no text in clear)."""
    transcripts: list[str] = field(default_factory=list)
    replies: list[str] = field(default_factory=list)
    timings: list[StageTimings] = field(default_factory=list)
    first_audio_at: float = 0.0         # monotonic: the first frame of the greeting was queued
    errors: list[str] = field(default_factory=list)


class PhoneConversation:
    def __init__(self, pipeline: VoicePipeline, brain: Brain, conversation_id: str, out: AudioOut,
                 hang_up: Callable[[str], Awaitable[None]] | None = None) -> None:
        self.brain, self.out = brain, out
        self.conversation_id = conversation_id
        self.session: VoiceSession = pipeline.session(conversation_id, respond=brain.say)
        self.keys = KeyBuffer()
        self.record = CallRecord()
        self._hang_up = hang_up
        self._inbound: asyncio.Queue[bytes | None] = asyncio.Queue(maxsize=500)   # 10 s of audio
        self._up = A.StreamResampler(PHONE_RATE, A.PIPELINE_RATE)
        self._tasks: list[asyncio.Task] = []
        self._closed = False

    def start(self) -> None:
        """The caller is connected (ACK): greet, then listen."""
        self._tasks += [asyncio.create_task(self._forward_events(), name=f"{self.conversation_id}-out"),
                        asyncio.create_task(self._feed(), name=f"{self.conversation_id}-in"),
                        asyncio.create_task(self.session.say(GREETING), name=f"{self.conversation_id}-greeting")]

    # --- caller -> robot ------------------------------------------------------------------------
    def caller_audio(self, pcm16: bytes) -> None:
        """PCM16 8 kHz from RTP (called by the media, on the event loop)."""
        if self._closed:
            return
        try:
            self._inbound.put_nowait(pcm16)
        except asyncio.QueueFull:   # the pipeline fell 10 s behind: drop rather than grow without bound
            log.warning("%s: inbound audio dropped (pipeline behind)", self.conversation_id)

    async def _feed(self) -> None:
        while (pcm := await self._inbound.get()) is not None:
            await self.session.feed_audio(self._up.push(A.pcm16_to_float(pcm)))

    def caller_key(self, digit: str) -> None:
        if not self._closed:
            self._tasks.append(asyncio.create_task(self._key(digit)))

    async def _key(self, digit: str) -> None:
        await self.session.cancel_playback("key")      # a key barges in like a voice does
        self.out.cancel_playback()
        action = self.keys.key(digit)
        if action is None:
            return
        kind, text = action
        try:
            replies = await (self.brain.press(self.conversation_id, HUMAN_PAYLOAD) if kind == "human"
                             else self.brain.say(self.conversation_id, text))
        except Exception as exc:   # noqa: BLE001 - Rasa down: tell the caller, keep the call
            log.warning("%s: keyed turn failed: %s", self.conversation_id, exc)
            self.record.errors.append(type(exc).__name__)
            replies = ["抱歉，系统暂时无法处理，请稍后再试。"]
        replies = [r for r in replies if r and r.strip()]
        if replies:
            self.record.replies += replies
            await self.session.say(" ".join(replies))

    # --- robot -> caller ------------------------------------------------------------------------
    async def _forward_events(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            event = await self.session.events.get()
            if isinstance(event, BotAudio):
                if not self.record.first_audio_at:
                    self.record.first_audio_at = loop.time()
                self.out.play(event.pcm if event.sample_rate == PHONE_RATE else
                              A.float_to_pcm16(A.resample(A.pcm16_to_float(event.pcm), event.sample_rate, PHONE_RATE)))
                if event.last:
                    self.out.finish_playback()
            elif isinstance(event, PlaybackCancelled):
                self.out.cancel_playback()
            elif isinstance(event, Transcript) and event.final:
                self.record.transcripts.append(event.text)
                log.info("%s heard: %s", self.conversation_id, mask_text(event.text))
            elif isinstance(event, BotText):
                self.record.replies.append(event.text)
            elif isinstance(event, StageTimings):
                self.record.timings.append(event)
            elif isinstance(event, VoiceError):
                self.record.errors.append(event.component)
            elif isinstance(event, SilenceTimeout) and self._hang_up is not None:
                await self.session.say(FAREWELL)
                await asyncio.sleep(2.0)          # let the farewell play out
                await self._hang_up("silence")

    def greeting_queued(self) -> bool:
        return bool(self.record.first_audio_at)

    async def close(self) -> None:
        """Hang-up: stop listening and speaking, free the session's tasks."""
        if self._closed:
            return
        self._closed = True
        if not self._inbound.full():
            self._inbound.put_nowait(None)    # the feeder ends after what is queued
        await self.session.close()
        current = asyncio.current_task()
        for task in self._tasks:
            if task is not current and not task.done():
                task.cancel()
        await asyncio.gather(*(t for t in self._tasks if t is not current), return_exceptions=True)
