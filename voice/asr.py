"""Speech recognition with faster-whisper (CTranslate2), configured for Mandarin service-hall
speech: Simplified-Chinese prompt, domain vocabulary as hotwords, short decoding window."""
from __future__ import annotations

import os
import threading
import time
from dataclasses import dataclass, field

import numpy as np

from .asr_text import clean_transcript

# Words customers say in an electricity service hall. They go into Whisper's initial prompt
# (so they win over homophones, e.g. 户号 vs 护号); faster-whisper's `hotwords` option made the
# base model loop on silence ("电价 电价 ..."), so it is off unless HALLBOT_ASR_HOTWORDS is set.
DOMAIN_VOCABULARY = (
    "户号", "电费", "交电费", "缴费", "欠费", "余额", "电价", "峰谷电价", "阶梯电价", "过户", "更名",
    "增容", "减容", "报装", "新装", "销户", "停电", "抢修", "电表", "发票", "账单", "身份证", "营业厅",
)
SIMPLIFIED_PROMPT = "以下是普通话的句子。"  # without it the base model often writes Traditional


def domain_prompt(vocabulary: tuple[str, ...] = DOMAIN_VOCABULARY) -> str:
    return f"以下是普通话的句子，关于{'、'.join(vocabulary[:12])}。" if vocabulary else SIMPLIFIED_PROMPT


def _env(name: str, default: str) -> str:
    return os.environ.get(name, "").strip() or default


@dataclass
class ASRConfig:
    model: str = ""                 # CTranslate2 dir or model name; "" = offline base model
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    language: str = "zh"
    beam_size: int = 1
    # Whisper pads every input to 30 s; a shorter window (the utterance is < max_utterance_s)
    # makes the encoder cheaper with the same text on short commands.
    chunk_length: int = 15
    initial_prompt: str = field(default_factory=domain_prompt)
    hotwords: tuple[str, ...] = ()
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0

    @classmethod
    def from_env(cls) -> "ASRConfig":
        d = cls()
        hot = os.environ.get("HALLBOT_ASR_HOTWORDS")
        return cls(
            model=_env("HALLBOT_WHISPER_MODEL", ""),
            device=_env("HALLBOT_ASR_DEVICE", d.device),
            compute_type=_env("HALLBOT_ASR_COMPUTE_TYPE", d.compute_type),
            cpu_threads=int(_env("HALLBOT_ASR_THREADS", str(d.cpu_threads))),
            language=_env("HALLBOT_ASR_LANGUAGE", d.language),
            beam_size=int(_env("HALLBOT_ASR_BEAM", str(d.beam_size))),
            chunk_length=int(_env("HALLBOT_ASR_CHUNK_S", str(d.chunk_length))),
            initial_prompt=_env("HALLBOT_ASR_PROMPT", d.initial_prompt),
            hotwords=tuple(w.strip() for w in hot.split(",") if w.strip()) if hot else d.hotwords,
        )


@dataclass
class ASRResult:
    text: str               # cleaned: Simplified, no hallucinations, digits normalised
    raw_text: str           # what Whisper wrote
    language: str
    audio_s: float
    elapsed_s: float
    segments: list[str] = field(default_factory=list)

    @property
    def rtf(self) -> float:
        return self.elapsed_s / self.audio_s if self.audio_s else 0.0


class Transcriber:
    """Thread-safe wrapper (one decode at a time: 2 cores cannot run two usefully)."""

    def __init__(self, config: ASRConfig | None = None) -> None:
        from faster_whisper import WhisperModel

        from .models import whisper_model

        self.config = config or ASRConfig.from_env()
        model = self.config.model or whisper_model()
        try:
            self.model = WhisperModel(model, device=self.config.device, compute_type=self.config.compute_type,
                                      cpu_threads=self.config.cpu_threads, local_files_only=True)
        except Exception as exc:  # the library raises assorted errors for a bad dir/name
            raise RuntimeError(f"cannot load Whisper model {model!r}: {exc} (set HALLBOT_WHISPER_MODEL to a CTranslate2 model dir)") from exc
        self._lock = threading.Lock()

    def warm(self) -> None:
        """First decode is slow (allocations); do it before the first customer speaks."""
        self.transcribe(np.random.default_rng(0).normal(0, 0.01, 16000).astype(np.float32))

    def transcribe(self, audio: np.ndarray, *, language: str | None = None) -> ASRResult:
        """`audio`: mono float32 at 16 kHz."""
        cfg = self.config
        audio = np.asarray(audio, dtype=np.float32)
        audio_s = len(audio) / 16000
        lang = language or cfg.language or None
        chunk = max(cfg.chunk_length, int(np.ceil(audio_s)) + 1)
        prompt = cfg.initial_prompt if (lang or "zh").startswith("zh") else None
        hotwords = " ".join(cfg.hotwords) if cfg.hotwords and (lang or "zh").startswith("zh") else None
        t0 = time.perf_counter()
        with self._lock:
            segments, info = self.model.transcribe(
                audio, language=lang, beam_size=cfg.beam_size, initial_prompt=prompt, hotwords=hotwords,
                without_timestamps=True, condition_on_previous_text=False, vad_filter=False,
                chunk_length=min(chunk, 30), temperature=0.0,
                no_speech_threshold=cfg.no_speech_threshold, log_prob_threshold=cfg.log_prob_threshold,
            )
            texts = [s.text for s in segments if s.no_speech_prob < 0.9 or s.avg_logprob > -0.6]
        raw = "".join(texts).strip()
        text = clean_transcript(raw) if (info.language or "zh").startswith("zh") else raw
        return ASRResult(text=text, raw_text=raw, language=info.language, audio_s=audio_s,
                         elapsed_s=time.perf_counter() - t0, segments=texts)


_shared: Transcriber | None = None
_shared_lock = threading.Lock()


def get_transcriber(config: ASRConfig | None = None) -> Transcriber:
    """The process-wide transcriber (model loaded once), configured from the environment."""
    global _shared
    if config is not None:
        return Transcriber(config)
    with _shared_lock:
        if _shared is None:
            _shared = Transcriber()
        return _shared
