"""Coqui TTS (coqui-tts, MPL-2.0) for a deployer-supplied voice: no Coqui voice ships offline,
so the deployment points HALLBOT_COQUI_MODEL_DIR at a directory holding a trained model's
config.json and checkpoint (model.pth / best_model.pth / checkpoint_*.pth, or model.safetensors),
plus optional speakers/language files that the config refers to.

coqui-tts needs torch; it is optional (requirements/optional-coqui.txt) and never goes into the
Rasa venv."""
from __future__ import annotations

import threading
from pathlib import Path

import numpy as np

from hallbot.settings import VoiceSettings

from .base import TTSEngine, TTSError
from .normalize import normalize_zh

CHECKPOINT_NAMES = ("model.pth", "best_model.pth", "model_file.pth", "model.pt")


def find_checkpoint(model_dir: Path) -> Path:
    for name in CHECKPOINT_NAMES:
        if (model_dir / name).is_file():
            return model_dir / name
    candidates = sorted(model_dir.glob("checkpoint_*.pth"), key=lambda p: p.stat().st_mtime)
    if candidates:
        return candidates[-1]
    raise TTSError(f"no Coqui checkpoint in {model_dir} (expected one of {CHECKPOINT_NAMES} or checkpoint_*.pth)")


class CoquiEngine(TTSEngine):
    name = "coqui"

    def __init__(self, model_dir: str | Path | None = None, *, speaker: str | None = None,
                 language: str | None = None) -> None:
        configured = VoiceSettings.from_env()
        model_dir = model_dir or configured.coqui_model_dir
        if not model_dir:
            raise TTSError("coqui engine needs a model dir: set HALLBOT_COQUI_MODEL_DIR")
        self.model_dir = Path(model_dir)
        config = self.model_dir / "config.json"
        if not config.is_file():
            raise TTSError(f"{self.model_dir}: no config.json (a Coqui model dir holds config.json + a checkpoint)")
        checkpoint = find_checkpoint(self.model_dir)
        try:
            from TTS.utils.synthesizer import Synthesizer
        except ImportError as exc:
            raise TTSError("coqui-tts is not installed: pip install -r requirements/optional-coqui.txt") from exc
        speakers = self.model_dir / "speakers.pth"
        try:
            self._synth = Synthesizer(
                tts_checkpoint=str(checkpoint), tts_config_path=str(config),
                tts_speakers_file=str(speakers) if speakers.is_file() else None, use_cuda=False,
            )
        except Exception as exc:  # coqui raises many kinds on a bad dir; say which dir failed
            raise TTSError(f"cannot load Coqui model from {self.model_dir}: {exc}") from exc
        self.sample_rate = int(self._synth.output_sample_rate)
        self.speaker = speaker or configured.coqui_speaker
        self.language = language or configured.coqui_language
        lang = (self.language or getattr(self._synth.tts_config, "phoneme_language", None) or "zh")
        self.languages = (str(lang)[:2],)
        self._lock = threading.Lock()

    def synthesize(self, text: str) -> np.ndarray:
        if self.languages[0] == "zh":
            text = normalize_zh(text)
        with self._lock:
            wav = self._synth.tts(text, speaker_name=self.speaker, language_name=self.language,
                                  split_sentences=False)
        audio = np.asarray(wav, dtype=np.float32).reshape(-1)
        if not len(audio):
            raise TTSError(f"coqui produced no audio for {text!r}")
        return audio
