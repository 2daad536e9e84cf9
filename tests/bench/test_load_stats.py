"""The load benchmark's accounting (bench/load_stats.py): lost and replayed turns, latency
percentiles overall and outside fault windows, the sweep's verdict. No robot."""
from __future__ import annotations

import math
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "bench"))

from load_stats import FaultWindow, TurnRecord, largest_within, summarize
from percentiles import pct, percentile


def test_percentile_interpolates_between_ranks():
    assert percentile([], 95) is None
    assert percentile([3.0], 95) == 3.0
    values = [float(v) for v in range(1, 11)]          # 1..10
    assert percentile(values, 50) == 5.5
    assert math.isclose(percentile(values, 95), 9.55)
    assert percentile(list(reversed(values)), 0) == 1.0 and percentile(values, 100) == 10.0
    assert math.isnan(pct([], 95)) and pct(values, 95) == percentile(values, 95)


def test_unanswered_turns_are_lost_and_replays_are_counted():
    turns = [TurnRecord("k0", "kiosk", 1.0, 1.5, error_reply=True),
             TurnRecord("k0", "kiosk", 10.0, 40.0, replayed=True),
             TurnRecord("c0", "chat", 12.0, 20.0, replayed=True, resent=True, attempts=3),
             TurnRecord("c0", "chat", 50.0)]
    s = summarize(turns)
    assert (s.sent, s.answered, s.answered_after_replay, s.resent, s.lost) == (4, 3, 2, 1, 1)
    assert s.max_s == 30.0 and s.error_replies == 1
    assert s.by_kind["kiosk"]["lost"] == 0 and s.by_kind["chat"]["lost"] == 1
    assert s.by_kind["chat"]["answered"] == 1


def test_turns_in_flight_during_a_fault_window_are_left_out_of_the_calm_latency():
    window = FaultWindow("rasa", start=10.0, back=30.0, grace_s=5.0)   # 10 .. 35
    turns = [TurnRecord("k", "kiosk", 1.0, 1.2),       # before
             TurnRecord("k", "kiosk", 9.0, 31.0),      # spans the kill
             TurnRecord("k", "kiosk", 33.0, 34.0),     # inside the grace after it is back
             TurnRecord("k", "kiosk", 36.0, 36.4)]     # after
    s = summarize(turns, [window])
    assert s.outside_faults == 2
    assert math.isclose(s.p50_outside_faults_s, 0.3)
    assert s.p95_s is not None and s.p95_s > 10   # the faulted turn counts overall


def test_a_service_that_never_came_back_covers_the_rest_of_the_run():
    window = FaultWindow("app", start=100.0, back=None)
    assert window.end == math.inf and window.overlaps(5000.0, 5001.0) and not window.overlaps(1.0, 99.0)


def test_the_sweep_answers_the_largest_n_within_the_limit():
    assert largest_within({1: 0.2, 2: 0.6, 4: 1.4, 8: 3.0}) == 4
    assert largest_within({1: 0.2, 2: None, 4: 1.6}) == 1     # None: a step that lost turns fails
    assert largest_within({1: 2.0}) is None
