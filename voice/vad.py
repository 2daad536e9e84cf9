"""Voice activity detection and end-of-utterance detection.

`SileroVAD` runs the Silero v6 ONNX model that faster-whisper bundles, frame by frame (512
samples = 32 ms at 16 kHz) with its recurrent state, so it can sit on a live stream.
`Endpointer` turns per-frame speech probabilities into utterance events with hysteresis
(start/stop thresholds), a minimum speech length, a tentative "pause" and the final
end-of-utterance silence; at a pause the caller may end the utterance at once (`end_now`, when
the end-of-turn model judges it complete) or wait longer for it (`wait_for_silence`). Times are audio time (samples fed), so tests are deterministic.
"""
from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar

import numpy as np

from hallbot.settings import VoiceSettings

if TYPE_CHECKING:
    import onnxruntime

FRAME_SAMPLES = 512
CONTEXT_SAMPLES = 64
RATE = 16000
FRAME_S = FRAME_SAMPLES / RATE


@dataclass
class VADConfig:
    start_threshold: float = 0.5   # probability that opens speech
    stop_threshold: float = 0.35   # below this counts as silence (hysteresis)
    min_speech_ms: int = 160       # shorter blips (clicks, coughs) are not utterances
    pause_ms: int = 192            # tentative end: the pipeline starts ASR early
    end_silence_ms: int = 600      # final end of utterance; the largest part of turn latency, but
                                   # 500 ms split the real test clip at its mid-sentence pause
    pre_roll_ms: int = 320         # audio kept before speech start (onsets are soft)
    max_utterance_s: float = 20.0  # forced end: Whisper's window is 30 s

    @classmethod
    def from_env(cls) -> VADConfig:
        v = VoiceSettings.from_env()
        return cls(start_threshold=v.vad_start, stop_threshold=v.vad_stop, min_speech_ms=v.vad_min_speech_ms,
                   pause_ms=v.vad_pause_ms, end_silence_ms=v.vad_end_silence_ms, pre_roll_ms=v.vad_pre_roll_ms,
                   max_utterance_s=v.vad_max_utterance_s)

    def __post_init__(self) -> None:
        if not 0 < self.stop_threshold <= self.start_threshold < 1:
            raise ValueError("VAD thresholds need 0 < stop_threshold <= start_threshold < 1")
        if self.pause_ms > self.end_silence_ms:
            raise ValueError("VAD pause_ms must not exceed end_silence_ms")


class SileroVAD:
    """Streaming Silero VAD: one probability per 32 ms frame."""

    _session: ClassVar[onnxruntime.InferenceSession | None] = None  # shared; the recurrent state is per instance

    def __init__(self) -> None:
        if SileroVAD._session is None:
            import onnxruntime

            from .models import silero_vad_path

            opts = onnxruntime.SessionOptions()
            opts.inter_op_num_threads = 1
            opts.intra_op_num_threads = 1
            opts.log_severity_level = 4
            SileroVAD._session = onnxruntime.InferenceSession(
                str(silero_vad_path()), providers=["CPUExecutionProvider"], sess_options=opts
            )
        self.reset()

    def reset(self) -> None:
        self._h = np.zeros((1, 1, 128), dtype=np.float32)
        self._c = np.zeros((1, 1, 128), dtype=np.float32)
        self._context = np.zeros(CONTEXT_SAMPLES, dtype=np.float32)

    def __call__(self, frame: np.ndarray) -> float:
        if frame.shape != (FRAME_SAMPLES,):
            raise ValueError(f"Silero VAD needs frames of {FRAME_SAMPLES} samples at 16 kHz")
        x = np.concatenate([self._context, frame.astype(np.float32)])[None, :]
        session = SileroVAD._session
        assert session is not None  # __init__ loaded it
        out, self._h, self._c = session.run(None, {"input": x, "h": self._h, "c": self._c})
        self._context = frame[-CONTEXT_SAMPLES:].astype(np.float32)
        return float(np.asarray(out).reshape(-1)[0])

    def probabilities(self, audio: np.ndarray) -> np.ndarray:
        """Per-frame probabilities for a whole 16 kHz buffer (fresh state)."""
        self.reset()
        n = len(audio) // FRAME_SAMPLES
        return np.array([self(audio[i * FRAME_SAMPLES:(i + 1) * FRAME_SAMPLES]) for i in range(n)])


# --- endpointing ------------------------------------------------------------------------------

@dataclass
class VADEvent:
    kind: str            # "start" | "pause" | "resume" | "end"
    t: float             # audio time (s) of the event's frame end
    speech_end_t: float = 0.0   # for pause/end: audio time the speech stopped
    audio: np.ndarray | None = None  # for pause/end: the utterance so far (16 kHz float32)
    start_t: float = 0.0        # for pause/end: audio time the speech started


@dataclass
class Endpointer:
    config: VADConfig = field(default_factory=VADConfig)

    def __post_init__(self) -> None:
        self.reset()

    def reset(self) -> None:
        self.in_speech = False
        self._t = 0.0
        self._speech_run = 0.0   # consecutive voiced time before speech is confirmed
        self._silence = 0.0
        self._paused = False
        self._last_voiced_t = 0.0
        self._pre: list[np.ndarray] = []
        self._utt: list[np.ndarray] = []
        self._utt_start_t = 0.0
        self._end_silence_ms = self.config.end_silence_ms  # this pause's; back to the config's on resume

    @property
    def now(self) -> float:
        return self._t

    def push(self, frame: np.ndarray, prob: float) -> Iterator[VADEvent]:
        cfg = self.config
        self._t += FRAME_S
        if not self.in_speech:
            self._pre.append(frame)
            max_pre = max(1, int(cfg.pre_roll_ms / 1000 / FRAME_S) + int(cfg.min_speech_ms / 1000 / FRAME_S) + 1)
            del self._pre[:-max_pre]
            self._speech_run = self._speech_run + FRAME_S if prob >= cfg.start_threshold else 0.0
            if self._speech_run * 1000 >= cfg.min_speech_ms - 1e-6:
                self.in_speech = True
                self._utt = list(self._pre)
                self._pre = []
                self._silence = 0.0
                self._paused = False
                self._last_voiced_t = self._t
                self._utt_start_t = self._t - self._speech_run
                yield VADEvent("start", self._t)
            return
        self._utt.append(frame)
        if prob >= cfg.stop_threshold:
            self._last_voiced_t = self._t
            self._silence = 0.0
            self._end_silence_ms = cfg.end_silence_ms
            if self._paused:
                self._paused = False
                yield VADEvent("resume", self._t)
        else:
            self._silence += FRAME_S
        too_long = self._t - self._utt_start_t >= cfg.max_utterance_s
        if self._silence * 1000 >= self._end_silence_ms - 1e-6 or too_long:
            yield self._end(self._last_voiced_t if not too_long else self._t)
        elif not self._paused and self._silence * 1000 >= cfg.pause_ms - 1e-6:
            self._paused = True
            yield VADEvent("pause", self._t, self._last_voiced_t, self.utterance(), self._utt_start_t)

    def _end(self, speech_end_t: float) -> VADEvent:
        event = VADEvent("end", self._t, speech_end_t, self.utterance(), self._utt_start_t)
        self.in_speech = False
        self._speech_run = 0.0
        self._utt = []
        self._end_silence_ms = self.config.end_silence_ms
        return event

    def end_now(self) -> VADEvent:
        """End the utterance at this frame (a pause the end-of-turn model judged complete)."""
        if not self.in_speech:
            raise RuntimeError("end_now outside an utterance")
        return self._end(self._last_voiced_t)

    def wait_for_silence(self, ms: int) -> None:
        """End this pause only after `ms` of silence (an unfinished-sounding utterance); a resume
        restores the configured end silence."""
        self._end_silence_ms = max(ms, self.config.pause_ms)

    def skip(self, frame: np.ndarray) -> None:
        """Advance the clock without listening (half-duplex while the robot talks)."""
        self._t += FRAME_S
        self._speech_run = 0.0
        self._pre = []

    def utterance(self) -> np.ndarray:
        return np.concatenate(self._utt) if self._utt else np.zeros(0, np.float32)
