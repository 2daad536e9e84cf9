"""Prediction log and the predicted-vs-handled report (precision@k), live and back-tested."""
from __future__ import annotations

import datetime as dt
from decimal import Decimal

from sqlalchemy import select

from business import models as m
from business.report import backtest, precision_report


def test_every_prediction_is_logged_with_rank(sqlite_biz):
    recs = sqlite_biz.recommendations("C000003", k=4, channel="kiosk")
    with sqlite_biz.sessions() as s:
        rows = s.scalars(select(m.Prediction).order_by(m.Prediction.rank)).all()
    assert [(r.service_code, r.rank, r.k, r.channel) for r in rows] == [
        (rec.service_code, i + 1, 4, "kiosk") for i, rec in enumerate(recs)]
    assert len({r.request_id for r in rows}) == 1


def test_precision_counts_business_handled_within_window(sqlite_biz):
    sqlite_biz.recommendations("C000001", k=3)           # pay_now first
    sqlite_biz.recommendations("C000002", k=3)
    with sqlite_biz.sessions() as s:
        before = precision_report(s, "2026-11", k=3)
    assert before.requests == 2 and before.hits == 0 and before.precision == 0
    later = sqlite_biz.clock() + dt.timedelta(days=3)
    sqlite_biz.clock = lambda: later
    sqlite_biz.pay("3100000001", Decimal("286.50"), channel="hall", actor_customer_id="C000001")
    with sqlite_biz.sessions() as s:
        after = precision_report(s, "2026-11", k=3)
        top1 = precision_report(s, "2026-11", k=1)
        other_month = precision_report(s, "2026-10", k=3)
    assert after.hits == 1 and after.precision == round(1 / 6, 4) and after.by_service["pay_now"] == (1, 1)
    assert top1.precision == 0.5
    assert other_month.requests == 0


def test_backtest_against_popularity_baseline(sqlite_biz):
    report = backtest(sqlite_biz.sessions, sqlite_biz.writer, "2026-09", k=3, sample=100)
    assert report.requests == 100 and 0 < report.precision <= 1
    assert report.baseline_precision is not None and 0 < report.baseline_precision <= 1
    assert sum(n for n, _ in report.by_service.values()) == 300
    with sqlite_biz.sessions() as s:   # back-testing does not touch the stored (current) profiles
        assert s.scalar(select(m.CustomerProfile.computed_at).limit(1)) == sqlite_biz.clock()


def test_recompute_only_when_stale(sqlite_biz):
    assert sqlite_biz.recompute_if_stale(3600) is None          # computed "now" by the fixture
    later = sqlite_biz.clock() + dt.timedelta(hours=2)
    sqlite_biz.clock = lambda: later
    stats = sqlite_biz.recompute_if_stale(3600)
    assert stats is not None and stats.customers == 300
    assert sqlite_biz.recompute_if_stale(3600) is None
