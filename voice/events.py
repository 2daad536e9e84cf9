"""Messages the voice pipeline emits (wyoming style: dataclasses with a JSON form).
Transports send `to_dict()` as JSON and BotAudio.pcm as a binary frame."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Literal

Stage = Literal["asr", "nlu", "tts"]   # a turn's steps, as a VoiceError names the one that failed


@dataclass
class VoiceEvent:
    session_id: str

    @property
    def type(self) -> str:
        return type(self).__name__

    def to_dict(self) -> dict:
        data = asdict(self)
        data["type"] = self.type
        return data


@dataclass
class SpeechStarted(VoiceEvent):
    t: float  # audio time (s) since the session started


@dataclass
class SpeechStopped(VoiceEvent):
    t: float
    duration_s: float


@dataclass
class Transcript(VoiceEvent):
    text: str
    final: bool
    turn_id: int = 0
    raw_text: str = ""


@dataclass
class EchoIgnored(VoiceEvent):
    """A transcript that repeats what the robot just said: its own voice through the mic."""
    text: str
    turn_id: int = 0


@dataclass
class BotText(VoiceEvent):
    text: str
    turn_id: int = 0


@dataclass
class BotAudio(VoiceEvent):
    pcm: bytes            # PCM16 little-endian mono
    sample_rate: int
    turn_id: int
    seq: int
    text: str = ""        # the sentence being said
    last: bool = False

    def to_dict(self) -> dict:  # audio goes as a binary frame, not in JSON
        return {"type": self.type, "session_id": self.session_id, "sample_rate": self.sample_rate,
                "turn_id": self.turn_id, "seq": self.seq, "text": self.text, "last": self.last,
                "bytes": len(self.pcm)}


@dataclass
class PlaybackCancelled(VoiceEvent):
    turn_id: int
    reason: str           # "barge-in" | "superseded" | "closed"
    latency_ms: float = 0.0  # from the user's speech onset to the cancel (audio time)


@dataclass
class Reprompt(VoiceEvent):
    count: int
    text: str


@dataclass
class SilenceTimeout(VoiceEvent):
    """No answer after the last re-prompt: the session FSM may say goodbye."""
    reprompts: int


@dataclass
class VoiceError(VoiceEvent):
    message: str
    turn_id: int = 0
    component: Stage = "asr"   # what failed, as data: the kiosk's notice depends on it


@dataclass
class StageTimings(VoiceEvent):
    """Wall-clock times (time.monotonic) of one turn's stages, and latencies in ms."""
    turn_id: int
    text: str = ""
    speech_end: float = 0.0    # the user stopped speaking (last voiced frame)
    endpoint: float = 0.0      # end of utterance detected (after the end silence)
    asr_done: float = 0.0
    nlu_done: float = 0.0
    first_audio: float = 0.0   # first BotAudio chunk emitted
    early_asr_used: bool = False
    ms: dict[str, float] = field(default_factory=dict)

    def finish(self) -> StageTimings:
        def d(a: float, b: float) -> float:
            return round((b - a) * 1000, 1) if a and b else -1.0

        self.ms = {"endpointing": d(self.speech_end, self.endpoint), "asr": d(self.endpoint, self.asr_done),
                   "nlu": d(self.asr_done, self.nlu_done), "tts_first": d(self.nlu_done, self.first_audio),
                   "speech_end_to_first_audio": d(self.speech_end, self.first_audio)}
        return self
