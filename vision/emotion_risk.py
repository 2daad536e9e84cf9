"""Is the customer's emotion abnormal enough, for long enough, to pause a sensitive operation?
(seed 002: risk review). Pure: samples and a time in, a verdict out, no clock, no model, so the
thresholds are tested with a fake clock and tuned without a camera.

The verdict only ever *asks staff*: the emotion model is weak (BENCHMARKS.md, "Emotion model"), so
an abnormal verdict pauses the operation for a person to decide; nothing is refused on it alone."""
from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from hallbot.settings import RiskSettings

if TYPE_CHECKING:  # samples only: the kiosk judges them without loading the model's libraries
    from .emotion import Emotion


@dataclass(frozen=True)
class EmotionThresholds:
    """What "sustained abnormal" means (hallbot.settings HALLBOT_RISK_*)."""
    window_s: float = 20.0
    min_samples: int = 8
    min_share: float = 0.6
    min_confidence: float = 0.4
    abnormal: frozenset[str] = frozenset({"fear", "angry", "sad"})

    @classmethod
    def from_settings(cls, risk: RiskSettings) -> EmotionThresholds:
        return cls(risk.window_s, risk.min_samples, risk.min_share, risk.min_confidence, risk.emotions)


@dataclass(frozen=True)
class EmotionVerdict:
    """The evidence staff see (labels and counts only: no image, no face). `judged` is False when the
    window held too few face samples to say anything (customer out of view, camera off)."""
    abnormal: bool
    judged: bool
    samples: int
    abnormal_samples: int
    share: float
    dominant: str
    window_s: float
    counts: dict[str, int]

    def to_dict(self) -> dict[str, object]:
        return {"abnormal": self.abnormal, "judged": self.judged, "samples": self.samples,
                "abnormal_samples": self.abnormal_samples, "share": self.share, "dominant": self.dominant,
                "window_s": self.window_s, "counts": dict(self.counts)}


def judge(samples: Iterable[tuple[float, Emotion]], now: float, limits: EmotionThresholds) -> EmotionVerdict:
    """The samples of the last `window_s` seconds up to `now`; abnormal when at least `min_samples`
    of them are there and `min_share` of them show an abnormal label with `min_confidence`."""
    recent = [e for ts, e in samples if now - limits.window_s <= ts <= now]
    counts = Counter(e.label for e in recent)
    bad = sum(1 for e in recent if e.label in limits.abnormal and e.confidence >= limits.min_confidence)
    n = len(recent)
    share = round(bad / n, 3) if n else 0.0
    judged = n >= limits.min_samples
    return EmotionVerdict(abnormal=judged and share >= limits.min_share, judged=judged, samples=n,
                          abnormal_samples=bad, share=share,
                          dominant=counts.most_common(1)[0][0] if n else "", window_s=limits.window_s,
                          counts=dict(counts))
