"""Messages the voice pipeline emits (wyoming style: dataclasses with a JSON form).
Transports send `to_dict()` as JSON and BotAudio.pcm as a binary frame. The convention
(explicit `type`, to_dict/from_dict, the VOICE registry) is hallbot.messages; not frozen
because the pipeline fills StageTimings in as a turn goes."""
from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Literal

from hallbot.messages import Family, Message

VOICE = Family("voice event")
Stage = Literal["asr", "nlu", "tts"]   # a turn's steps, as a VoiceError names the one that failed


@dataclass
class VoiceEvent(Message):
    session_id: str


@VOICE.register
@dataclass
class SpeechStarted(VoiceEvent):
    type: ClassVar[str] = "SpeechStarted"
    t: float  # audio time (s) since the session started


@VOICE.register
@dataclass
class SpeechStopped(VoiceEvent):
    type: ClassVar[str] = "SpeechStopped"
    t: float
    duration_s: float
    ended_by: str = "silence"   # "smart_turn": a pause judged complete | "silence": the end silence or length limit


@VOICE.register
@dataclass
class Transcript(VoiceEvent):
    type: ClassVar[str] = "Transcript"
    text: str
    final: bool
    turn_id: int = 0
    raw_text: str = ""


@VOICE.register
@dataclass
class EchoIgnored(VoiceEvent):
    """A transcript that repeats what the robot just said: its own voice through the mic."""
    type: ClassVar[str] = "EchoIgnored"
    text: str
    turn_id: int = 0


@VOICE.register
@dataclass
class BotText(VoiceEvent):
    type: ClassVar[str] = "BotText"
    text: str
    turn_id: int = 0


@VOICE.register
@dataclass
class BotAudio(VoiceEvent):
    type: ClassVar[str] = "BotAudio"
    pcm: bytes            # PCM16 little-endian mono
    sample_rate: int
    turn_id: int
    seq: int
    text: str = ""        # the sentence being said
    last: bool = False

    derived_keys: ClassVar[frozenset[str]] = frozenset({"bytes"})

    def to_dict(self) -> dict[str, Any]:  # audio goes as a binary frame, not in JSON: its length instead
        return {"type": self.type, "session_id": self.session_id, "sample_rate": self.sample_rate,
                "turn_id": self.turn_id, "seq": self.seq, "text": self.text, "last": self.last,
                "bytes": len(self.pcm)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any], pcm: bytes = b"") -> BotAudio:
        """`pcm`: the binary frame that followed the JSON."""
        if isinstance(data, Mapping) and "pcm" in data:
            raise ValueError("BotAudio: pcm travels as a binary frame, not in the JSON")
        return super().from_dict({**data, "pcm": pcm})


@VOICE.register
@dataclass
class PlaybackCancelled(VoiceEvent):
    type: ClassVar[str] = "PlaybackCancelled"
    turn_id: int
    reason: str           # "barge-in" | "superseded" | "closed"
    latency_ms: float = 0.0  # from the user's speech onset to the cancel (audio time)


@VOICE.register
@dataclass
class Reprompt(VoiceEvent):
    type: ClassVar[str] = "Reprompt"
    count: int
    text: str


@VOICE.register
@dataclass
class SilenceTimeout(VoiceEvent):
    """No answer after the last re-prompt: the session FSM may say goodbye."""
    type: ClassVar[str] = "SilenceTimeout"
    reprompts: int


@VOICE.register
@dataclass
class VoiceError(VoiceEvent):
    type: ClassVar[str] = "VoiceError"
    message: str
    turn_id: int = 0
    component: Stage = "asr"   # what failed, as data: the kiosk's notice depends on it


@VOICE.register
@dataclass
class StageTimings(VoiceEvent):
    """Wall-clock times (time.monotonic) of one turn's stages, and latencies in ms."""
    type: ClassVar[str] = "StageTimings"
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
