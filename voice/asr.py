"""Speech recognition with faster-whisper (CTranslate2), configured for Mandarin service-hall
speech: Simplified-Chinese prompt, domain vocabulary as hotwords, short decoding window."""
from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field

import numpy as np

from hallbot.settings import VoiceSettings

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


@dataclass
class ASRConfig:
    model: str = ""                 # CTranslate2 dir or model name; "" = offline base model
    device: str = "cpu"
    compute_type: str = "int8"
    cpu_threads: int = 2
    language: str = "zh"
    beam_size: int = 1
    # faster-whisper pads every input to a 30 s window (encoder ~0.65 s here on 2 cores).
    # The short-window path encodes only max(window_s, utterance + 1 s) and decodes once:
    # same CER on our clips at window 10 s, ~5-8x faster (see BENCHMARKS.md).
    short_window: bool = True
    window_s: int = 10
    chunk_length: int = 30
    initial_prompt: str = field(default_factory=domain_prompt)
    hotwords: tuple[str, ...] = ()
    vad_gate: bool = True           # Silero finds no speech -> "" (Whisper invents text on silence)
    no_speech_threshold: float = 0.6
    log_prob_threshold: float = -1.0

    @classmethod
    def from_env(cls) -> ASRConfig:
        v = VoiceSettings.from_env()
        return cls(model=v.whisper_model, device=v.asr_device, compute_type=v.asr_compute_type,
                   cpu_threads=v.asr_threads, language=v.asr_language, beam_size=v.asr_beam,
                   short_window=v.asr_short_window, window_s=v.asr_window_s,
                   initial_prompt=v.asr_prompt or domain_prompt(), hotwords=v.asr_hotwords)


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

    def healthy(self) -> bool:
        """The model is loaded in this process: nothing to poll (a failure shows per turn)."""
        return True

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
        if cfg.vad_gate and not self._has_speech(audio):
            return ASRResult(text="", raw_text="", language=lang or "", audio_s=audio_s,
                             elapsed_s=time.perf_counter() - t0)
        if cfg.short_window and audio_s <= 28 and lang:
            with self._lock:
                raw = self._short_window(audio, lang, prompt)
            text = clean_transcript(raw) if lang.startswith("zh") else raw
            return ASRResult(text=text, raw_text=raw, language=lang, audio_s=audio_s,
                             elapsed_s=time.perf_counter() - t0, segments=[raw] if raw else [])
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


    @staticmethod
    def _has_speech(audio: np.ndarray, threshold: float = 0.5) -> bool:
        from .vad import SileroVAD

        if not len(audio) or float(np.max(np.abs(audio))) < 1e-4:
            return False
        return bool(SileroVAD().probabilities(audio).max(initial=0.0) >= threshold)

    def _short_window(self, audio: np.ndarray, language: str, prompt: str | None) -> str:
        """One encoder pass over a window just longer than the utterance, one greedy decode."""
        import ctranslate2
        from faster_whisper.tokenizer import Tokenizer

        cfg = self.config
        window = min(30, max(cfg.window_s, int(np.ceil(len(audio) / 16000 + 1.0))))
        window += window % 2  # the encoder's conv stride is 2
        n = window * 16000
        feats = self.model.feature_extractor(np.pad(audio[:n], (0, max(0, n - len(audio)))))[:, : window * 100]
        encoded = self.model.model.encode(ctranslate2.StorageView.from_array(np.ascontiguousarray(feats[None], dtype=np.float32)))
        tok = Tokenizer(self.model.hf_tokenizer, self.model.model.is_multilingual, task="transcribe", language=language)
        prompt_ids = ([tok.sot_prev] + tok.encode(" " + prompt.strip())) if prompt else []
        prompt_ids += list(tok.sot_sequence) + [tok.no_timestamps]
        # ~4 chars/s spoken Chinese, <= 2 tokens a char: a cap that also cuts decoding loops
        max_length = min(448, len(prompt_ids) + int(10 * len(audio) / 16000) + 16)
        result = self.model.model.generate(
            encoded, [prompt_ids], beam_size=cfg.beam_size, max_length=max_length, return_scores=True,
            return_no_speech_prob=True, suppress_blank=True, suppress_tokens=[-1])[0]
        ids = [t for t in result.sequences_ids[0] if t < tok.eot]
        avg_logprob = result.scores[0] * len(ids) / (len(ids) + 1) if ids else -10.0
        # Whisper's own silence rule: likely no speech AND an unsure decode -> nothing said
        if result.no_speech_prob > cfg.no_speech_threshold and avg_logprob < cfg.log_prob_threshold:
            return ""
        if result.no_speech_prob > 0.9:
            return ""
        return tok.decode(ids).strip()


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
