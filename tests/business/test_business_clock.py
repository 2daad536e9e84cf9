"""business.clock: one "now" for the business system; HALLBOT_TODAY moves it to another day."""
from __future__ import annotations

import datetime as dt

import pytest

from business import clock


def test_real_date_by_default(monkeypatch):
    monkeypatch.delenv(clock.ENV, raising=False)
    before = dt.datetime.now()
    assert before <= clock.now() <= dt.datetime.now()


def test_pinned_date_keeps_the_time_running(monkeypatch):
    monkeypatch.setenv(clock.ENV, "2027-12-31")
    first = clock.now()
    assert clock.today() == dt.date(2027, 12, 31)
    assert clock.now() >= first                     # events stay ordered within the day


def test_bad_pinned_date_is_a_clear_error(monkeypatch):
    monkeypatch.setenv(clock.ENV, "31.12.2027")
    with pytest.raises(ValueError, match="HALLBOT_TODAY must be a date"):
        clock.now()
