"""Predicted vs actually handled business: precision@k of the logged recommendations per month,
and a back-test that replays the recommender as of a month's 10th against a popularity
baseline (the k services most handled in the 30 days before)."""
from __future__ import annotations

import datetime as dt
from collections import Counter, defaultdict
from dataclasses import dataclass, field

from sqlalchemy import delete, select

from business import models as m
from business.profiles import handled_business, shift_period
from business.recommend import load_catalogue, recommend


@dataclass
class PrecisionReport:
    period: str
    k: int
    requests: int
    hits: int
    precision: float                        # hits / (requests * k)
    by_service: dict[str, tuple[int, int]] = field(default_factory=dict)   # code -> (predicted, handled)
    baseline_precision: float | None = None
    window_days: int = 30


def _month(period: str) -> tuple[dt.datetime, dt.datetime]:
    nxt = shift_period(period, 1)
    return (dt.datetime(int(period[:4]), int(period[5:7]), 1), dt.datetime(int(nxt[:4]), int(nxt[5:7]), 1))


def precision_report(session, period: str, k: int = 3, window_days: int = 30, channel: str | None = None
                     ) -> PrecisionReport:
    """A prediction is a hit when the customer handled that service's business (any channel)
    within `window_days` after it was made."""
    start, end = _month(period)
    kinds = {item.code: item.business_kind for item in load_catalogue(session)}
    q = select(m.Prediction.request_id, m.Prediction.customer_id, m.Prediction.service_code, m.Prediction.rank,
               m.Prediction.predicted_at).where(m.Prediction.predicted_at >= start, m.Prediction.predicted_at < end,
                                                m.Prediction.rank <= k)
    if channel:
        q = q.where(m.Prediction.channel == channel)
    requests: dict[str, list] = defaultdict(list)
    for req, cid, code, _rank, at in session.execute(q):
        requests[req].append((cid, code, at))
    customers = sorted({p[0] for preds in requests.values() for p in preds})
    handled = handled_business(session, customers, start, end + dt.timedelta(days=window_days))
    hits = 0
    by_service: defaultdict[str, list[int]] = defaultdict(lambda: [0, 0])
    window = dt.timedelta(days=window_days)
    for preds in requests.values():
        for cid, code, at in preds:
            done = {kind for when, kind in handled.get(cid, ()) if at <= when <= at + window}
            by_service[code][0] += 1
            if kinds.get(code) in done:
                hits += 1
                by_service[code][1] += 1
    n = len(requests)
    return PrecisionReport(period, k, n, hits, round(hits / (n * k), 4) if n else 0.0,
                           {c: (v[0], v[1]) for c, v in sorted(by_service.items())}, None, window_days)


def backtest(sessions, writer, period: str, k: int = 3, sample: int = 1000, window_days: int = 30) -> PrecisionReport:
    """Recommend as of the 10th of `period` (bills are out, not yet due) for an evenly spread
    sample of customers (logged with channel "backtest"), then score them; compare with the
    popularity baseline. The derived-service rules are the current ones (a little hindsight)."""
    start = _month(period)[0] + dt.timedelta(days=9)
    with writer.begin() as s:
        ids = list(s.scalars(select(m.Customer.customer_id).where(m.Customer.created_at <= start)
                             .order_by(m.Customer.customer_id)))
        step = max(1, len(ids) // sample)
        chosen = ids[::step][:sample]
        catalogue = load_catalogue(s)
        s.execute(delete(m.Prediction).where(m.Prediction.channel == "backtest", m.Prediction.predicted_at == start))
        for cid in chosen:
            recommend(s, cid, start, k, "backtest", catalogue, log=True, historical=True)
    with sessions() as s:
        report = precision_report(s, period, k, window_days, channel="backtest")
        # baseline: the k business kinds most handled in the month before, for everybody
        popular = Counter(kind for events in handled_business(s, chosen, start - dt.timedelta(days=30), start).values()
                          for _, kind in events)
        offered = {item.business_kind for item in catalogue}
        top = [kind for kind, _ in popular.most_common() if kind in offered][:k]
        after = handled_business(s, chosen, start, start + dt.timedelta(days=window_days))
        base_hits = sum(len(set(top) & {kind for _, kind in after.get(cid, ())}) for cid in chosen)
        report.baseline_precision = round(base_hits / (len(chosen) * k), 4) if chosen else 0.0
    return report
