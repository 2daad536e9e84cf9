"""What the voice pipeline needs from speech engines, as Protocols: the local models (voice.asr,
voice.tts) and the speech service's clients (voice.remote) both satisfy them, so the pipeline and
the kiosk never ask which kind they hold. Engines raise `SpeechServiceUnavailable` when the
speech service is down; it names the failed component (`asr` | `tts`) as data, not in prose."""
from __future__ import annotations

from typing import TYPE_CHECKING, Literal, Protocol, runtime_checkable

import numpy as np

if TYPE_CHECKING:
    from .asr import ASRResult

Component = Literal["asr", "tts"]

UNAVAILABLE_MESSAGES: dict[Component, str] = {
    "asr": "语音识别服务暂时不可用（正在重启），请稍候或使用触屏输入",
    "tts": "语音合成服务暂时不可用（正在重启），请稍候或查看屏幕上的文字",
}


class SpeechServiceUnavailable(RuntimeError):
    """The speech service cannot be reached, timed out or failed (5xx); `.component` = asr | tts."""

    def __init__(self, component: Component, detail: str = "") -> None:
        self.component: Component = component
        self.detail = detail
        super().__init__(UNAVAILABLE_MESSAGES[component] + (f" ({detail})" if detail else ""))


@runtime_checkable
class Recognizer(Protocol):
    """Speech to text: `voice.asr.Transcriber` (local Whisper) or `voice.remote.RemoteTranscriber`."""

    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> ASRResult:
        """`audio`: mono float32 at 16 kHz."""
        ...

    def warm(self) -> None:
        """Get ready before the first customer speaks (first decode, or a reachability check)."""
        ...

    def healthy(self) -> bool:
        """Can it transcribe now? A local model loaded in this process always can."""
        ...


@runtime_checkable
class Voice(Protocol):
    """One voice, as `Synthesizer.engine_for` picks it for a sentence."""

    @property
    def sample_rate(self) -> int: ...

    def synthesize(self, text: str) -> np.ndarray:
        """One sentence -> mono float32 audio at `sample_rate`."""
        ...


@runtime_checkable
class Synthesizer(Protocol):
    """Text to speech: a `voice.tts.TTSEngine` (local) or `voice.remote.RemoteTTS`."""

    def engine_for(self, text: str) -> Voice: ...

    def warm(self, texts: list[str]) -> None:
        """Synthesize fixed prompts ahead (into a cache where there is one)."""
        ...

    def healthy(self) -> bool: ...
