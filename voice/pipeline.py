"""The streaming voice pipeline: PCM16 16 kHz frames in, dataclass events out.

    frames -> Silero VAD -> Endpointer -> end of turn (voice.turn) -> (early) ASR -> respond()
           -> TTS sentence by sentence -> BotAudio chunks;  user speech during playback -> barge-in -> PlaybackCancelled

One `VoicePipeline` holds the shared models; `VoicePipeline.session(id)` makes a
`VoiceSession` per kiosk/phone call. The NLU step is injected: `respond(session_id, text)`
returns the reply texts (the app server passes a Rasa client). Transports (voice.transports)
only move bytes: they call `session.feed(pcm16)` and forward `session.events`.

Clock: VAD and turn-taking run on audio time (samples fed), so they behave the same whether a
file is fed at once or a mic in real time; StageTimings use wall-clock time.monotonic().
The end-of-turn model is awaited inside the frame that paused (in a worker thread, so other
sessions go on): its verdict lands at that audio time however fast the audio comes.
"""
from __future__ import annotations

import asyncio
import difflib
import logging
import re
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np

from hallbot.settings import VoiceSettings
from identity.masking import mask_text

from . import audio as A
from .engines import Recognizer, SpeechServiceUnavailable, Synthesizer
from .events import (
    BotAudio,
    BotText,
    EchoIgnored,
    PlaybackCancelled,
    Reprompt,
    SilenceTimeout,
    SpeechStarted,
    SpeechStopped,
    Stage,
    StageTimings,
    Transcript,
    VoiceError,
    VoiceEvent,
)
from .turn import EndOfTurn, SilenceOnly, get_end_of_turn, sounds_unfinished
from .vad import FRAME_S, FRAME_SAMPLES, Endpointer, SileroVAD, VADConfig, VADEvent

if TYPE_CHECKING:
    from .asr import ASRResult

log = logging.getLogger(__name__)

Respond = Callable[[str, str], Awaitable[list[str]]]


@dataclass
class PipelineConfig:
    vad: VADConfig = field(default_factory=VADConfig.from_env)
    # a pause whose utterance Smart Turn scores at least this ends the turn at once
    end_of_turn_threshold: float = field(default_factory=lambda: VoiceSettings.from_env().end_of_turn_threshold)
    # silence that ends a pause judged unfinished (else vad.end_silence_ms)
    incomplete_silence_ms: int = field(default_factory=lambda: VoiceSettings.from_env().end_of_turn_incomplete_ms)
    # shorter speech is left to the silence rule: Whisper misreads a lone word ("户号" as "普通话"),
    # so its words cannot show that a number follows
    min_early_end_s: float = 0.8
    output_rate: int = 16000            # BotAudio sample rate (browser/phone side resamples)
    chunk_ms: int = 100                 # BotAudio chunk length
    first_chunk_chars: int = 12         # a longer first sentence is cut at its first comma
    early_asr: bool = True              # start ASR at the tentative pause, use it if no resume
    barge_in: bool = True
    half_duplex: bool = False           # mic ignored while the robot talks (speaker, no echo canceller)
    barge_in_threshold: float = 0.7     # stricter during playback: residual echo must not cut in
    barge_in_min_ms: int = 128          # voiced time that cancels playback (+ 1 frame < 200 ms)
    echo_similarity: float = 0.6        # transcript this close to the bot's words = self-hearing
    reprompt_after_s: float = 8.0
    max_reprompts: int = 2
    reprompt_text: str = "请问您还需要办理什么业务吗？"
    language: str | None = None         # ASR language; None = configured default (zh)


def _core(text: str) -> str:
    return re.sub(r"[\W_]+", "", text.lower())


class VoicePipeline:
    """Shared models + config. Cheap to create sessions from."""

    def __init__(self, respond: Respond | None, transcriber: Recognizer, tts: Synthesizer, *,
                 config: PipelineConfig | None = None, end_of_turn: EndOfTurn | None = None) -> None:
        """The engines come from the caller: local (`voice.asr.get_transcriber()`,
        `voice.tts.get_engine()`) or the speech service's (`voice.remote`). `respond`: the NLU step of
        sessions that bring none of their own (None: every session must, as each kiosk's does).
        `end_of_turn`: default the configured one (HALLBOT_END_OF_TURN)."""
        self.respond = respond
        self.transcriber = transcriber
        self.tts = tts
        self.config = config or PipelineConfig()
        self.end_of_turn = end_of_turn or get_end_of_turn()

    def warm(self) -> None:
        """Warm the ASR and synthesize fixed prompts into the cache (call once at start-up)."""
        self.transcriber.warm()
        self.tts.warm([self.config.reprompt_text])

    def session(self, session_id: str, respond: Respond | None = None) -> VoiceSession:
        """`respond`: this session's own NLU step (a kiosk answers through its own dialogue);
        default the pipeline's."""
        return VoiceSession(self, session_id, respond)


class VoiceSession:
    def __init__(self, pipeline: VoicePipeline, session_id: str, respond: Respond | None = None) -> None:
        self.p = pipeline
        chosen = respond or pipeline.respond
        if chosen is None:
            raise ValueError(f"voice session {session_id}: no NLU step (pass respond=)")
        self.respond: Respond = chosen
        self.cfg = pipeline.config
        self.session_id = session_id
        self.events: asyncio.Queue[VoiceEvent] = asyncio.Queue()
        self.vad = SileroVAD()
        self.endpointer = Endpointer(self.cfg.vad)
        self.framer = A.Framer(FRAME_SAMPLES)
        self.turn_id = 0
        self.timings: list[StageTimings] = []
        self._turn_task: asyncio.Task | None = None
        self._speak_task: asyncio.Task | None = None
        self._speaking_turn = 0
        self._playing_until = 0.0           # audio time when emitted bot audio ends playing
        self._barge_run = 0.0
        self._early: tuple[asyncio.Task, float] | None = None  # (ASR task, utterance length)
        self._recent_bot: list[str] = []
        self._last_activity = 0.0
        self._reprompts = 0
        self._conversation_started = False
        self._superseded = 0
        self._closed = False

    # --- input ----------------------------------------------------------------------------
    @property
    def now(self) -> float:
        return self.endpointer.now

    @property
    def playing(self) -> bool:
        return (self._speak_task is not None and not self._speak_task.done()) or self.now < self._playing_until

    async def feed(self, pcm16: bytes) -> None:
        """PCM16 little-endian mono 16 kHz, any chunk size."""
        await self.feed_audio(A.pcm16_to_float(pcm16))

    async def feed_audio(self, samples: np.ndarray) -> None:
        if self._closed:
            raise RuntimeError(f"voice session {self.session_id} is closed")
        for frame in self.framer.push(samples):
            await self._frame(frame)

    def playback_finished(self) -> None:
        """The transport says the speaker has played everything (ends 'playing' early)."""
        self._playing_until = min(self._playing_until, self.now)

    async def _frame(self, frame: np.ndarray) -> None:
        prob = self.vad(frame)
        wall = time.monotonic()
        if self.playing and self.cfg.half_duplex and not self.endpointer.in_speech:
            self.endpointer.skip(frame)
            return
        if self.playing and self.cfg.barge_in:
            await self._check_barge_in(prob)
        for ev in self.endpointer.push(frame, prob):
            if ev.kind == "start":
                self._last_activity = self.now
                if self._reprompts <= self.cfg.max_reprompts:
                    self._reprompts = 0
                await self._emit(SpeechStarted(self.session_id, ev.t))
                if self._turn_task and not self._turn_task.done() and not self.playing:
                    self._superseded = self.turn_id  # a reply not yet speaking stays silent
            elif ev.kind == "pause":
                assert ev.audio is not None  # pause and end events carry the utterance
                judging = (not isinstance(self.p.end_of_turn, SilenceOnly)
                           and ev.speech_end_t - ev.start_t >= self.cfg.min_early_end_s)
                if self.cfg.early_asr or judging:  # the end-of-turn check reads the words too
                    self._start_early_asr(ev.audio)
                if judging and await self._turn_complete(ev.audio):
                    await self._end_utterance(self.endpointer.end_now(), wall, "smart_turn")
                elif not self.cfg.early_asr:
                    self._early = None  # the turn transcribes its whole audio, as configured
            elif ev.kind == "resume":
                self._early = None
            elif ev.kind == "end":
                await self._end_utterance(ev, wall, "silence")
        if not self.endpointer.in_speech and not self.playing:
            await self._check_reprompt()

    async def _end_utterance(self, ev: VADEvent, wall: float, ended_by: str) -> None:
        assert ev.audio is not None
        self._last_activity = self.now
        await self._emit(SpeechStopped(self.session_id, ev.t, len(ev.audio) / A.PIPELINE_RATE, ended_by))
        speech_end_wall = wall - (ev.t - ev.speech_end_t)
        self._start_turn(ev.audio, speech_end_wall, time.monotonic())

    async def _turn_complete(self, audio: np.ndarray) -> bool:
        """At a pause: does the utterance sound complete (end-of-turn model) and do its words
        not stop inside a number (the early transcript)? Else this pause waits for the silence
        an unfinished turn gets. Any failure leaves the turn to the silence rule."""
        try:
            p = await asyncio.to_thread(self.p.end_of_turn.probability, audio)
            if p >= self.cfg.end_of_turn_threshold and self._early is not None:
                result = await asyncio.shield(self._early[0])
                if result.text and not (sounds_unfinished(result.text) or sounds_unfinished(result.raw_text)):
                    return True
        except asyncio.CancelledError:
            raise
        except Exception:  # ASR errors surface in the turn itself
            log.warning("end-of-turn check failed; this pause ends on silence", exc_info=True)
        self.endpointer.wait_for_silence(self.cfg.incomplete_silence_ms)
        return False

    # --- barge-in ----------------------------------------------------------------------------
    async def _check_barge_in(self, prob: float) -> None:
        self._barge_run = self._barge_run + FRAME_S if prob >= self.cfg.barge_in_threshold else 0.0
        if self._barge_run * 1000 >= self.cfg.barge_in_min_ms - 1e-6:
            latency = self._barge_run * 1000
            self._barge_run = 0.0
            await self.cancel_playback("barge-in", latency_ms=latency)

    async def cancel_playback(self, reason: str, latency_ms: float = 0.0) -> None:
        task = self._speak_task
        was_playing = self.playing
        if task and not task.done():
            task.cancel()
        self._playing_until = self.now
        if was_playing:
            await self._emit(PlaybackCancelled(self.session_id, self._speaking_turn, reason, latency_ms))

    # --- turns -------------------------------------------------------------------------------
    def _asr(self, audio: np.ndarray) -> asyncio.Task:
        return asyncio.create_task(asyncio.to_thread(self.p.transcriber.transcribe, audio, language=self.cfg.language))

    def _start_early_asr(self, audio: np.ndarray) -> None:
        self._early = (asyncio.create_task(self._early_asr(audio, self.turn_id + 1)), len(audio))

    async def _early_asr(self, audio: np.ndarray, turn_id: int) -> ASRResult:
        """Speculative ASR at a pause; its text is shown at once as an interim transcript."""
        result = await self._asr(audio)
        if result.text and self._early is not None and self.turn_id < turn_id:  # speech has not resumed
            await self._emit(Transcript(self.session_id, result.text, False, turn_id, result.raw_text))
        return result

    def _start_turn(self, audio: np.ndarray, speech_end: float, endpoint: float) -> None:
        self.turn_id += 1
        early, self._early = self._early, None
        self._superseded = 0
        self._turn_task = asyncio.create_task(self._turn(self.turn_id, audio, speech_end, endpoint, early))

    async def _turn(self, turn_id: int, audio: np.ndarray, speech_end: float, endpoint: float,
                    early: tuple[asyncio.Task, float] | None) -> None:
        t = StageTimings(self.session_id, turn_id, speech_end=speech_end, endpoint=endpoint)
        stage: Stage = "asr"
        try:
            if early is not None:  # audio after the pause was silence only: same words
                result, t.early_asr_used = await early[0], True
            else:
                result = await self._asr(audio)
            t.asr_done = time.monotonic()
            t.text = result.text
            if not result.text:
                log.debug("turn %s: nothing recognised (raw %r)", turn_id, mask_text(result.raw_text or ""))
                return
            if self._is_echo(result.text):
                await self._emit(EchoIgnored(self.session_id, result.text, turn_id))
                return
            await self._emit(Transcript(self.session_id, result.text, True, turn_id, result.raw_text))
            self._conversation_started = True
            stage = "nlu"
            replies = await self.respond(self.session_id, result.text)
            t.nlu_done = time.monotonic()
            replies = [r for r in replies if r and r.strip()]
            for reply in replies:
                await self._emit(BotText(self.session_id, reply, turn_id))
            if replies and self._superseded != turn_id:
                stage = "tts"
                await self._speak(turn_id, " ".join(replies), t)
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # one bad turn must not end the session
            log.exception("voice turn %s failed", turn_id)
            component = exc.component if isinstance(exc, SpeechServiceUnavailable) else stage
            await self._emit(VoiceError(self.session_id, f"{type(exc).__name__}: {exc}", turn_id, component))
        finally:
            if t.asr_done:
                self.timings.append(t.finish())
                await self._emit(t)

    async def say(self, text: str, turn_id: int | None = None) -> None:
        """Speak text outside a user turn (greeting, FSM prompts); barge-in applies."""
        t = StageTimings(self.session_id, turn_id or 0, text=text)
        await self._speak(turn_id or 0, text, t)

    async def _speak(self, turn_id: int, text: str, timings: StageTimings) -> None:
        if self._speak_task and not self._speak_task.done():
            await self.cancel_playback("superseded")
        self._speaking_turn = turn_id
        self._speak_task = asyncio.create_task(self._speak_run(turn_id, text, timings))
        try:
            await self._speak_task
        except asyncio.CancelledError:
            current = asyncio.current_task()
            if self._closed or (current is not None and current.cancelling()):
                raise

    async def _speak_run(self, turn_id: int, text: str, timings: StageTimings) -> None:
        from .tts import split_sentences

        rate, chunk = self.cfg.output_rate, int(self.cfg.output_rate * self.cfg.chunk_ms / 1000)
        seq = 0
        sentences = split_sentences(text, first_max_chars=self.cfg.first_chunk_chars)
        for i, sentence in enumerate(sentences):
            engine = self.p.tts.engine_for(sentence)
            audio = await asyncio.to_thread(engine.synthesize, sentence)
            audio = A.resample(audio, engine.sample_rate, rate)
            self._recent_bot = (self._recent_bot + [sentence])[-6:]
            for start in range(0, len(audio), chunk):
                piece = audio[start:start + chunk]
                last = i == len(sentences) - 1 and start + chunk >= len(audio)
                if seq == 0 and not timings.first_audio:
                    timings.first_audio = time.monotonic()
                self._playing_until = max(self._playing_until, self.now) + len(piece) / rate
                await self._emit(BotAudio(self.session_id, A.float_to_pcm16(piece), rate, turn_id, seq, sentence, last))
                seq += 1
        self._conversation_started = True

    def _is_echo(self, text: str) -> bool:
        core = _core(text)
        if not core:
            return False
        if len(core) < 3:  # "好", "对": too short to tell apart from a real answer
            return False
        if len(core) >= 4 and core in _core("".join(self._recent_bot)):
            return True
        return any(difflib.SequenceMatcher(None, core, _core(s)).ratio() >= self.cfg.echo_similarity
                   for s in self._recent_bot)

    # --- silence -----------------------------------------------------------------------------
    async def _check_reprompt(self) -> None:
        if not self._conversation_started or self.cfg.reprompt_after_s <= 0:
            return
        if self._turn_task and not self._turn_task.done():
            return
        if self.now - max(self._last_activity, self._playing_until) < self.cfg.reprompt_after_s:
            return
        if self._reprompts >= self.cfg.max_reprompts:
            if self._reprompts == self.cfg.max_reprompts:
                self._reprompts += 1
                await self._emit(SilenceTimeout(self.session_id, self.cfg.max_reprompts))
            return
        self._reprompts += 1
        self._last_activity = self.now
        await self._emit(Reprompt(self.session_id, self._reprompts, self.cfg.reprompt_text))
        self._turn_task = asyncio.create_task(self.say(self.cfg.reprompt_text))

    # --- output ------------------------------------------------------------------------------
    async def _emit(self, event: VoiceEvent) -> None:
        await self.events.put(event)

    async def drain(self) -> None:
        """Wait for the current turn (tests, file transport)."""
        while self._turn_task and not self._turn_task.done():
            await asyncio.gather(self._turn_task, return_exceptions=True)

    async def flush(self) -> None:
        """End of input: pad the last frame and feed trailing silence so a final utterance ends."""
        last = self.framer.flush()
        if last is not None:
            await self._frame(last)
        silence = np.zeros(FRAME_SAMPLES, np.float32)
        for _ in range(int(self.cfg.vad.end_silence_ms / 1000 / FRAME_S) + 2):
            if not self.endpointer.in_speech:
                break
            await self._frame(silence)

    async def close(self) -> None:
        self._closed = True
        for task in (self._speak_task, self._turn_task):
            if task and not task.done():
                task.cancel()
                await asyncio.gather(task, return_exceptions=True)
