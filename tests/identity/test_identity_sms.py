"""SMS one-time codes: expiry, attempt limit, lockout, resend throttle (real SQLite)."""
from __future__ import annotations

import pytest

from identity.sms import OutboxGateway, Outcome, SmsPolicy, SmsVerifier


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def setup(tmp_path):
    clock = Clock()
    outbox = OutboxGateway(tmp_path / "outbox.jsonl")
    verifier = SmsVerifier(tmp_path / "hall.sqlite", outbox, SmsPolicy(max_attempts=3), clock=clock)
    return verifier, outbox, clock


def test_right_code_verifies_once(setup):
    verifier, outbox, _ = setup
    assert verifier.send_code("13800138001").outcome == Outcome.SENT
    code = outbox.last_code("13800138001")
    assert verifier.verify("13800138001", code).ok
    assert verifier.verify("13800138001", code).outcome == Outcome.NO_CODE  # single use


def test_wrong_codes_count_down_then_lock(setup):
    verifier, outbox, clock = setup
    verifier.send_code("13800138001")
    code = outbox.last_code("13800138001")
    wrong = "000000" if code != "000000" else "111111"
    assert verifier.verify("13800138001", wrong).attempts_left == 2
    assert verifier.verify("13800138001", wrong).attempts_left == 1
    assert verifier.verify("13800138001", wrong).outcome == Outcome.LOCKED
    assert verifier.verify("13800138001", code).outcome == Outcome.LOCKED  # even the right code now
    assert verifier.send_code("13800138001").outcome == Outcome.LOCKED
    clock.now += verifier.policy.lockout_s + 1
    assert verifier.send_code("13800138001").outcome == Outcome.SENT


def test_code_expires(setup):
    verifier, outbox, clock = setup
    verifier.send_code("13800138001")
    clock.now += verifier.policy.ttl_s + 1
    assert verifier.verify("13800138001", outbox.last_code("13800138001")).outcome == Outcome.EXPIRED


def test_resend_is_throttled(setup):
    verifier, _, clock = setup
    verifier.send_code("13800138001")
    throttled = verifier.send_code("13800138001")
    assert throttled.outcome == Outcome.THROTTLED and throttled.retry_after_s > 0
    clock.now += verifier.policy.resend_after_s
    assert verifier.send_code("13800138001").outcome == Outcome.SENT


def test_codes_are_not_stored_in_clear(setup, tmp_path):
    verifier, outbox, _ = setup
    verifier.send_code("13800138001")
    assert outbox.last_code("13800138001").encode() not in (tmp_path / "hall.sqlite").read_bytes()
