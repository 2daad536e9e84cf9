"""End of turn: has the customer finished, or only paused?

Silence alone cannot tell: a finished question and a customer reading an account number in
groups ("三一零零，零零零零，……") both go quiet. The fixed end silence (600 ms) is therefore the
largest part of a reply's latency, and still cuts off a slow reader. Smart Turn v3.2 (Whisper-tiny
encoder on the last 8 s of audio, BSD-2-Clause) scores how complete the utterance sounds, so the
pipeline asks it at the first short pause and ends a complete turn there; the silence rule stays
the fallback and the `silence` engine (never "complete") is today's behaviour.

Smart Turn alone is not enough for numbers: on our TTS speech every digit group ("我的户号是，
三一零零") scores 0.95-0.99 "complete", because each group is spoken with a falling tone. So a
pause also needs its transcript (the early ASR the pipeline runs at every pause anyway, done
about when Smart Turn is): one that ends in a number, a comma or a lead-in ("户号是") is never
ended early (`sounds_unfinished`).

Engines take 16 kHz float32 mono and return P(turn complete); they hold no per-call state, so one
engine serves every session (onnxruntime sessions may run from several threads).
"""
from __future__ import annotations

import hashlib
import importlib.util
import logging
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType
from typing import TYPE_CHECKING, Protocol

import numpy as np

from hallbot.settings import VoiceSettings

if TYPE_CHECKING:
    import onnxruntime

log = logging.getLogger(__name__)

RATE = 16000
WINDOW_SAMPLES = 8 * RATE   # the model's input: the last 8 s, zero-padded in front


class EndOfTurn(Protocol):
    name: str

    def probability(self, audio_16k: np.ndarray) -> float:
        """P(the speaker has finished their turn) for the utterance so far."""
        ...


class SilenceOnly:
    """No opinion: the turn ends only after the configured end silence (today's rule)."""

    name = "silence"

    def probability(self, audio_16k: np.ndarray) -> float:
        return 0.0


class SmartTurn:
    """Smart Turn v3.2 (ONNX, CPU): ~60 ms per call on one thread."""

    name = "smart_turn"

    def __init__(self, model_dir: Path | None = None, threads: int = 1) -> None:
        import onnxruntime

        from .models import SMART_TURN_DIGESTS, SMART_TURN_FEATURES, SMART_TURN_MODEL, smart_turn_dir

        root = Path(model_dir or smart_turn_dir())
        self._features = _load_features(root / SMART_TURN_FEATURES, SMART_TURN_DIGESTS[SMART_TURN_FEATURES])
        model = root / SMART_TURN_MODEL
        if not model.is_file():
            raise FileNotFoundError(f"Smart Turn model {model} is missing: scripts/post_install/voice.sh installs it")
        opts = onnxruntime.SessionOptions()
        opts.inter_op_num_threads = 1
        opts.intra_op_num_threads = threads
        opts.log_severity_level = 4
        self._session: onnxruntime.InferenceSession = onnxruntime.InferenceSession(
            str(model), providers=["CPUExecutionProvider"], sess_options=opts)

    def probability(self, audio_16k: np.ndarray) -> float:
        x = np.asarray(audio_16k, dtype=np.float32).reshape(-1)
        if not x.size or not np.isfinite(x).all():
            return 0.0  # nothing to judge: leave the turn to the silence rule
        x = x[-WINDOW_SAMPLES:]
        x = np.pad(x, (WINDOW_SAMPLES - len(x), 0))
        features = self._features(x, do_normalize=True)[None, :, :]
        out = self._session.run(None, {"input_features": features})
        return float(np.asarray(out[0]).reshape(-1)[0])


def _load_features(path: Path, digest: str) -> Callable[..., np.ndarray]:
    """pipecat's numpy log-mel code, loaded from its file (the framework itself is not installed)."""
    if not path.is_file():
        raise FileNotFoundError(f"Smart Turn feature code {path} is missing: scripts/post_install/voice.sh installs it")
    if hashlib.sha256(path.read_bytes()).hexdigest() != digest:
        raise ValueError(f"{path} is not the pinned pipecat-ai file: reinstall it (scripts/post_install/voice.sh)")
    spec = importlib.util.spec_from_file_location("hallbot_smart_turn_features", path)
    assert spec is not None and spec.loader is not None
    module: ModuleType = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    features: Callable[..., np.ndarray] = module.compute_whisper_log_mel_features
    return features


# A transcript ending like this is a customer mid-number or before one: digits (Arabic or spoken,
# 幺 and 两 included; letters after digits: an ID's X, or Whisper's "320E" for 三二零一), a comma or
# colon, or what names a number before reading it ("户号是", "户号",
# "手机号码"; bench_turn.py cut "户号，三二零一…" after "户号" before this). A complete request
# that ends so ("我想查户号") only waits for the end silence, as every turn did before.
_UNFINISHED_END = re.compile(r"([0-9０-９][0-9A-Za-z]*|[零〇○一幺二两三四五六七八九十百千万点]|[,，、:：]|是|为|号|号码|电话|手机|身份证)[\s。.!?！？]*$")


def sounds_unfinished(text: str) -> bool:
    """True when the words so far call for more; an empty transcript has nothing to finish."""
    return bool(_UNFINISHED_END.search(text.strip()))


ENGINES = ("smart_turn", "silence")


def get_end_of_turn(name: str | None = None) -> EndOfTurn:
    """The configured engine (HALLBOT_END_OF_TURN). A missing Smart Turn install falls back to the
    silence rule with a warning: slower turns, never a robot that cannot listen."""
    chosen = (name or VoiceSettings.from_env().end_of_turn).lower()
    if chosen not in ENGINES:
        raise ValueError(f"unknown end-of-turn engine {chosen!r} ({' | '.join(ENGINES)})")
    if chosen == "silence":
        return SilenceOnly()
    try:
        return SmartTurn()
    except FileNotFoundError as exc:
        log.warning("end of turn: %s; turns end on silence only", exc)
        return SilenceOnly()
