"""SMS one-time codes: expiry, attempt limits across resends, daily caps, resend throttle, lockout,
staff unlock, and an outbox without codes (real SQLite, fake clock)."""
from __future__ import annotations

import io
import json

import pytest

from identity.sms import OutboxGateway, Outcome, SmsPolicy, SmsVerifier, last_demo_code

PHONE = "13800138001"


class Clock:
    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


class Setup:
    def __init__(self, tmp_path, policy: SmsPolicy) -> None:
        self.clock, self.echo = Clock(), io.StringIO()
        self.outbox = OutboxGateway(tmp_path / "outbox.jsonl", echo=self.echo)
        self.verifier = SmsVerifier(tmp_path / "hall.sqlite", self.outbox, policy, clock=self.clock)

    def code(self, phone: str = PHONE) -> str:
        return last_demo_code(self.echo.getvalue(), phone)

    def wrong(self, phone: str = PHONE) -> str:
        return "000000" if self.code(phone) != "000000" else "111111"


@pytest.fixture
def setup(tmp_path):
    return Setup(tmp_path, SmsPolicy(max_attempts=3))


def test_right_code_verifies_once(setup):
    assert setup.verifier.send_code(PHONE).outcome == Outcome.SENT
    code = setup.code()
    assert setup.verifier.verify(PHONE, code).ok
    assert setup.verifier.verify(PHONE, code).outcome == Outcome.NO_CODE  # single use


def test_wrong_codes_count_down_then_lock(setup):
    verifier, clock = setup.verifier, setup.clock
    verifier.send_code(PHONE)
    code, wrong = setup.code(), setup.wrong()
    assert verifier.verify(PHONE, wrong).attempts_left == 2
    assert verifier.verify(PHONE, wrong).attempts_left == 1
    locked = verifier.verify(PHONE, wrong)
    assert locked.outcome == Outcome.LOCKED and "工作人员" in locked.message and locked.retry_after_s > 0
    assert verifier.verify(PHONE, code).outcome == Outcome.LOCKED  # even the right code now
    assert verifier.send_code(PHONE).outcome == Outcome.LOCKED
    clock.now += verifier.policy.lockout_s + 1
    assert verifier.send_code(PHONE).outcome == Outcome.SENT


def test_a_resend_does_not_reset_the_attempts(setup):
    """Before: 2 wrong, resend, 3 more tries, resend, ... for ever."""
    verifier, clock = setup.verifier, setup.clock
    verifier.send_code(PHONE)
    for left in (2, 1):
        assert verifier.verify(PHONE, setup.wrong()).attempts_left == left
    clock.now += verifier.policy.resend_after_s
    assert verifier.send_code(PHONE).attempts_left == 1
    assert verifier.verify(PHONE, setup.wrong()).outcome == Outcome.LOCKED


def test_daily_caps_on_attempts_and_sends(tmp_path):
    s = Setup(tmp_path, SmsPolicy(max_attempts=3, max_attempts_per_day=5, max_sends_per_day=3, lockout_s=60,
                                  resend_after_s=10))
    s.verifier.send_code(PHONE)
    for _ in range(3):
        s.verifier.verify(PHONE, s.wrong())
    s.clock.now += 61                                   # the short lock is over; 2 of today's 5 are left
    assert s.verifier.send_code(PHONE).attempts_left == 2
    s.verifier.verify(PHONE, s.wrong())
    day = s.verifier.verify(PHONE, s.wrong())
    assert day.outcome == Outcome.LOCKED and "今天" in day.message and day.retry_after_s > 61
    s.clock.now += 24 * 3600                              # a new day
    assert s.verifier.send_code(PHONE).outcome == Outcome.SENT
    s.clock.now += 10
    assert s.verifier.send_code(PHONE).outcome == Outcome.SENT
    s.clock.now += 10
    assert s.verifier.send_code(PHONE).outcome == Outcome.SENT
    s.clock.now += 10
    capped = s.verifier.send_code(PHONE)
    assert capped.outcome == Outcome.LOCKED and "今天" in capped.message


def test_staff_unlock(setup):
    verifier = setup.verifier
    verifier.send_code(PHONE)
    for _ in range(3):
        verifier.verify(PHONE, setup.wrong())
    assert verifier.unlock(PHONE) is True
    assert verifier.send_code(PHONE).outcome == Outcome.SENT and verifier.verify(PHONE, setup.code()).ok
    assert verifier.unlock(PHONE) is False


def test_code_expires(setup):
    setup.verifier.send_code(PHONE)
    setup.clock.now += setup.verifier.policy.ttl_s + 1
    assert setup.verifier.verify(PHONE, setup.code()).outcome == Outcome.EXPIRED


def test_resend_is_throttled(setup):
    verifier, clock = setup.verifier, setup.clock
    verifier.send_code(PHONE)
    throttled = verifier.send_code(PHONE)
    assert throttled.outcome == Outcome.THROTTLED and throttled.retry_after_s > 0
    clock.now += verifier.policy.resend_after_s
    assert verifier.send_code(PHONE).outcome == Outcome.SENT


def test_codes_are_not_stored_in_clear(setup, tmp_path):
    setup.verifier.send_code(PHONE)
    code = setup.code()
    assert code and code.encode() not in (tmp_path / "hall.sqlite").read_bytes()
    line = json.loads((tmp_path / "outbox.jsonl").read_text(encoding="utf-8"))
    assert code not in json.dumps(line) and "******" in line["text"] and line["phone"] == "*******8001"


def test_without_echo_the_code_goes_nowhere_in_clear(tmp_path, capsys, monkeypatch):
    from identity.sms import default_verifier
    monkeypatch.delenv("HALLBOT_DEMO", raising=False)
    default_verifier(tmp_path).send_code(PHONE)
    assert last_demo_code(capsys.readouterr().out, PHONE) is None
    monkeypatch.setenv("HALLBOT_DEMO", "1")                # demo mode: the demo terminal shows it
    v = default_verifier(tmp_path)
    v.unlock(PHONE)
    v.send_code(PHONE)
    assert last_demo_code(capsys.readouterr().out, PHONE)


def test_demo_terminal_follows_the_action_server_log(tmp_path):
    """`hallbot run` in demo mode copies the demo gateway's lines from actions.log to its terminal."""
    import threading

    from bot.commands import follow_demo_sms
    log, out, stop = tmp_path / "actions.log", io.StringIO(), threading.Event()
    log.write_text("old line\n", encoding="utf-8")
    worker = threading.Thread(target=follow_demo_sms, args=(log, stop, out, 0.01, log.stat().st_size))
    worker.start()
    try:
        OutboxGateway(tmp_path / "outbox.jsonl", echo=log.open("a", encoding="utf-8")).send(PHONE, "验证码是123456")
        with log.open("a", encoding="utf-8") as f:
            f.write("INFO something else\n")
        for _ in range(500):
            if out.getvalue():
                break
            threading.Event().wait(0.01)
    finally:
        stop.set()
        worker.join()
    assert last_demo_code(out.getvalue(), PHONE) == "123456" and "something else" not in out.getvalue()
