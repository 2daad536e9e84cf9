"""The load benchmark's accounting (bench/bench_load.py), apart from the robot so it can be unit
tested: what happened to each turn (answered, answered after a replay, resent, lost), turn
latency percentiles overall and outside fault windows, and the sweep's verdict."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field

from percentiles import percentile


@dataclass
class TurnRecord:
    """One customer turn. Times are seconds since the run started."""
    client: str
    kind: str                      # kiosk | chat
    sent: float
    answered: float | None = None
    replayed: bool = False         # the robot kept it through an outage (kiosk banner, chat 503 + retry)
    resent: bool = False          # sent again by the page (the app restarted before answering)
    attempts: int = 1
    error_reply: bool = False      # answered with the product's error reply (hallbot.payloads.Error)

    @property
    def latency(self) -> float | None:
        return None if self.answered is None else self.answered - self.sent


@dataclass(frozen=True)
class FaultWindow:
    """A service killed at `start`, healthy again at `back` (None: never came back)."""
    service: str
    start: float
    back: float | None
    grace_s: float = 5.0           # replays finish a little after the service is back

    @property
    def end(self) -> float:
        return math.inf if self.back is None else self.back + self.grace_s

    def overlaps(self, start: float, end: float) -> bool:
        return start < self.end and end > self.start




@dataclass
class Summary:
    sent: int = 0
    answered: int = 0
    answered_after_replay: int = 0
    resent: int = 0
    error_replies: int = 0
    lost: int = 0
    p50_s: float | None = None
    p95_s: float | None = None
    max_s: float | None = None
    outside_faults: int = 0
    p50_outside_faults_s: float | None = None
    p95_outside_faults_s: float | None = None
    by_kind: dict[str, dict] = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 3)


def summarize(turns: list[TurnRecord], windows: list[FaultWindow] = (), by_kind: bool = True) -> Summary:  # type: ignore[assignment]
    """Counts and latencies. A turn is outside the faults when no window overlaps its time in flight."""
    answered = [t for t in turns if t.answered is not None]
    latencies = [t.latency for t in answered if t.latency is not None]
    calm = [t.latency for t in answered if t.latency is not None
            and not any(w.overlaps(t.sent, t.answered or t.sent) for w in windows)]
    out = Summary(sent=len(turns), answered=len(answered),
                  answered_after_replay=sum(1 for t in answered if t.replayed),
                  resent=sum(1 for t in turns if t.resent), error_replies=sum(1 for t in answered if t.error_reply),
                  lost=len(turns) - len(answered),
                  p50_s=_rounded(percentile(latencies, 50)), p95_s=_rounded(percentile(latencies, 95)),
                  max_s=_rounded(max(latencies)) if latencies else None, outside_faults=len(calm),
                  p50_outside_faults_s=_rounded(percentile(calm, 50)),
                  p95_outside_faults_s=_rounded(percentile(calm, 95)))
    if by_kind:
        for kind in sorted({t.kind for t in turns}):
            part = summarize([t for t in turns if t.kind == kind], windows, by_kind=False).to_dict()
            part.pop("by_kind")
            out.by_kind[kind] = part
    return out


def largest_within(p95_by_n: dict[int, float | None], limit_s: float = 1.5) -> int | None:
    """The sweep's answer: the largest N whose p95 turn latency is within the limit (None: none is)."""
    ok = [n for n, p95 in p95_by_n.items() if p95 is not None and p95 <= limit_s]
    return max(ok) if ok else None


def fmt_s(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.2f}"
