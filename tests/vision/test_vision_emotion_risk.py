"""The risk-review decision (vision/emotion_risk.py): window, thresholds -> verdict, on a fake clock."""
from __future__ import annotations

import pytest

from hallbot.settings import RiskSettings
from vision.emotion import Emotion
from vision.emotion_risk import EmotionThresholds, judge

LIMITS = EmotionThresholds(window_s=20.0, min_samples=8, min_share=0.6, min_confidence=0.4)
T0 = 1_000_000.0   # the fake clock's start (any epoch second: nothing reads the real clock)


def sample(label: str, confidence: float = 0.8) -> Emotion:
    return Emotion(label, confidence, {label: confidence})


def stream(labels: str, start: float = T0, step: float = 1.0, confidence: float = 0.8) -> list[tuple[float, Emotion]]:
    """One sample per `step` seconds: 'f' fear, 'a' angry, 's' sad, 'n' neutral, 'h' happy."""
    names = {"f": "fear", "a": "angry", "s": "sad", "n": "neutral", "h": "happy"}
    return [(start + i * step, sample(names[c], confidence)) for i, c in enumerate(labels)]


def test_sustained_fear_is_abnormal():
    samples = stream("nnffffffffff")             # 12 s, 10 of 12 fearful
    verdict = judge(samples, T0 + 11, LIMITS)
    assert verdict.judged and verdict.abnormal
    assert (verdict.samples, verdict.abnormal_samples, verdict.dominant) == (12, 10, "fear")


def test_a_mixed_calm_window_is_not():
    verdict = judge(stream("nnfnhnanns" * 2), T0 + 19, LIMITS)
    assert verdict.judged and not verdict.abnormal
    assert verdict.share == pytest.approx(6 / 20)


def test_threshold_is_inclusive_and_counts_every_abnormal_label():
    samples = stream("fasfasnnnn")                # 6 of 10 = the 0.6 threshold exactly
    assert judge(samples, T0 + 9, LIMITS).abnormal
    assert not judge(stream("fasfannnnn"), T0 + 9, LIMITS).abnormal   # 5 of 10


def test_too_few_samples_is_no_judgement():
    verdict = judge(stream("fffffff"), T0 + 6, LIMITS)    # 7 < min_samples: a glimpse, not sustained
    assert not verdict.judged and not verdict.abnormal


def test_only_the_window_counts():
    """Fear a minute ago, calm now: the operation is not paused for an old mood (and the reverse)."""
    samples = stream("f" * 20) + stream("n" * 20, start=T0 + 60)
    assert judge(samples, T0 + 19, LIMITS).abnormal
    assert not judge(samples, T0 + 79, LIMITS).abnormal
    assert not judge(samples, T0 + 200, LIMITS).judged    # nothing in the window at all


def test_samples_after_now_are_ignored():
    samples = stream("n" * 10) + stream("f" * 20, start=T0 + 10)
    assert not judge(samples, T0 + 9, LIMITS).abnormal


def test_unsure_labels_do_not_count():
    verdict = judge(stream("f" * 12, confidence=0.3), T0 + 11, LIMITS)
    assert verdict.judged and not verdict.abnormal and verdict.abnormal_samples == 0


def test_thresholds_come_from_the_settings(monkeypatch):
    monkeypatch.setenv("HALLBOT_RISK_WINDOW_S", "5")
    monkeypatch.setenv("HALLBOT_RISK_MIN_SAMPLES", "3")
    monkeypatch.setenv("HALLBOT_RISK_EMOTIONS", "angry")
    limits = EmotionThresholds.from_settings(RiskSettings.from_env())
    assert (limits.window_s, limits.min_samples, limits.abnormal) == (5.0, 3, frozenset({"angry"}))
    assert judge(stream("aaaa"), T0 + 3, limits).abnormal
    assert not judge(stream("ffff"), T0 + 3, limits).abnormal   # fear is not on this deployer's list


def test_evidence_holds_labels_and_counts_only():
    data = judge(stream("ffffffffnn"), T0 + 9, LIMITS).to_dict()
    assert set(data) == {"abnormal", "judged", "samples", "abnormal_samples", "share", "dominant", "window_s", "counts"}
    assert data["counts"] == {"fear": 8, "neutral": 2}
