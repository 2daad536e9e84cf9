"""The kiosk session's speech: the voice pipeline's events to the screen (transcripts, reply audio,
listening, timings), what the robot says, and the speech service's failures and recovery shown as
banners per component (ASR, TTS), polled back when the service can be polled."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from voice import events as V
from voice.events import Stage

from . import messages as M
from .core import SessionCore

if TYPE_CHECKING:
    from voice.pipeline import VoiceSession

log = logging.getLogger(__name__)

SPEECH_DOWN = {"asr": "语音识别暂时不可用（可能正在重启），请稍后再说，或直接点屏幕、用键盘输入。",
               "tts": "语音播报暂时不可用，回复会显示在屏幕上。"}
# a failed NLU step leaves the customer's speech unanswered: the same advice as ASR (tap or type)
NOTICE_FOR: dict[Stage, str] = {"asr": "asr", "nlu": "asr", "tts": "tts"}
SPEECH_BACK = "语音服务已恢复。"


class Speech:
    def __init__(self, core: SessionCore, voice: VoiceSession | None) -> None:
        self.core, self.voice = core, voice
        self.down: set[str] = set()        # components whose failure banner is showing

    async def pump(self, voice: VoiceSession) -> None:
        while True:
            event = await voice.events.get()
            try:
                await self.on_event(event)
            except Exception:  # one bad event must not stop the audio
                log.exception("kiosk %s: voice event %s failed", self.core.kiosk_id, event.type)

    async def on_event(self, event: V.VoiceEvent) -> None:
        core, out = self.core, self.core.out
        if isinstance(event, V.BotAudio):
            await self.ok("tts")
            if event.seq == 0 and event.turn_id == 0 and core.face_at is not None:
                ms = round((core.deps.clock() - core.face_at) * 1000, 1)
                core.face_at = None
                await out.send_json(M.Timings(0, {"face_seen_to_greeting_audio": ms}, event.text).to_dict())
            await out.send_json(M.Audio(event.sample_rate, event.turn_id, event.seq, event.text, event.last,
                                        len(event.pcm)).to_dict())
            await out.send_audio(event.pcm)
        elif isinstance(event, V.Transcript):
            await self.ok("asr")
            await out.send_json(M.Transcript(event.text, event.final).to_dict())
        elif isinstance(event, V.SpeechStarted):
            core.fsm.input_seen(core.deps.clock())
            await out.send_json(M.Listening(True).to_dict())
        elif isinstance(event, V.SpeechStopped):
            await out.send_json(M.Listening(False).to_dict())
        elif isinstance(event, V.PlaybackCancelled):
            await out.send_json(M.StopAudio(event.reason).to_dict())
        elif isinstance(event, V.Reprompt):
            await out.send_json(M.Bot(event.text).to_dict())
        elif isinstance(event, V.SilenceTimeout):
            if core.awaiting_dialogue:   # the customer is waiting for our answer, not silent
                log.info("kiosk %s: silence timeout ignored: a turn waits for the dialogue service", core.kiosk_id)
            elif core.fsm.fire("silence_timeout", now=core.deps.clock(), cause="no answer after re-prompts"):
                await core.after("silence_timeout")   # after() sends the state
        elif isinstance(event, V.VoiceError):
            await self.failed(event.component, event.message)
        elif isinstance(event, V.StageTimings) and event.ms:
            await out.send_json(M.Timings(event.turn_id, event.ms, event.text).to_dict())

    async def failed(self, stage: Stage, message: str) -> None:
        component = NOTICE_FOR[stage]
        if component not in self.down:
            self.down.add(component)
            log.warning("kiosk %s: %s failed: %s", self.core.kiosk_id, component, message)
            await self.core.out.send_json(M.Notice("error", SPEECH_DOWN[component], component).to_dict())
            if self.core.deps.speech_probe:
                self.core.spawn(self._watch(self.core.deps.speech_probe))

    async def _watch(self, probe: Callable[[], Awaitable[bool]]) -> None:
        """Poll the speech service until it answers, then tell the customer speech works again."""
        while self.down and not self.core.closed:
            await asyncio.sleep(1.0)
            if await probe():
                for component in list(self.down):
                    await self.ok(component)

    async def ok(self, component: str) -> None:
        if component in self.down:
            self.down.discard(component)
            if not self.down:
                await self.core.out.send_json(M.Notice("info", SPEECH_BACK, component).to_dict())

    def say(self, texts: list[str]) -> None:
        text = " ".join(t for t in texts if t)
        if self.voice and text:
            self.core.spawn(self._say_now(self.voice, text))

    async def _say_now(self, voice: VoiceSession, text: str) -> None:
        try:
            await voice.say(text)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # noqa: BLE001 - the text is on the screen already: nothing is lost
            await self.failed("tts", f"{type(exc).__name__}: {exc}")

    async def interrupt(self) -> None:
        """The customer typed or tapped: stop talking over them."""
        if self.voice and self.voice.playing:
            await self.voice.cancel_playback("superseded")
