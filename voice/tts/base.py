"""TTS engine interface. Engines return mono float32 audio at their own `sample_rate`;
`stream()` yields it sentence by sentence so playback can start after the first one."""
from __future__ import annotations

import abc
import re
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

from .sentences import split_sentences


class TTSError(RuntimeError):
    pass


@dataclass
class SpeechChunk:
    text: str             # the sentence this audio says
    audio: np.ndarray     # mono float32
    sample_rate: int
    index: int            # sentence number in the reply
    last: bool


_CJK = re.compile(r"[\u4e00-\u9fff]")


def language_of(text: str) -> str:
    return "zh" if _CJK.search(text) else "en"


class TTSEngine(abc.ABC):
    name: str = "base"
    sample_rate: int = 22050
    languages: tuple[str, ...] = ()

    @abc.abstractmethod
    def synthesize(self, text: str) -> np.ndarray:
        """One sentence (or a short text) -> mono float32 audio at self.sample_rate."""

    def engine_for(self, text: str) -> TTSEngine:
        return self

    def warm(self, texts: list[str]) -> None:
        """Prepare fixed prompts; only a cache (CachedEngine) or a service has anything to do."""
        return None

    def healthy(self) -> bool:
        """A model loaded in this process can always synthesize (a failure shows per sentence)."""
        return True

    def stream(self, text: str, first_max_chars: int = 12) -> Iterator[SpeechChunk]:
        sentences = split_sentences(text, first_max_chars=first_max_chars)
        if not sentences:
            raise TTSError(f"nothing to say in {text!r}")
        for i, sentence in enumerate(sentences):
            engine = self.engine_for(sentence)
            yield SpeechChunk(sentence, engine.synthesize(sentence), engine.sample_rate, i, i == len(sentences) - 1)

    def say(self, text: str, pause_s: float = 0.15) -> tuple[np.ndarray, int]:
        """Whole reply as one buffer at this engine's rate (used by `hallbot say`)."""
        from ..audio import resample

        parts = []
        for chunk in self.stream(text):
            audio = chunk.audio if chunk.sample_rate == self.sample_rate else resample(chunk.audio, chunk.sample_rate, self.sample_rate)
            parts += [audio, np.zeros(int(pause_s * self.sample_rate), np.float32)]
        return np.concatenate(parts[:-1]), self.sample_rate
