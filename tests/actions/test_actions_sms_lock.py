"""A locked phone gets a clear reply every time: the form says why and hands off, and the next
verification attempt on the same phone hears the lock again (before, the failure stayed in the
slots and the next message got no reply)."""
from __future__ import annotations

import io
from types import SimpleNamespace

import pytest
from rasa_sdk.executor import CollectingDispatcher

from actions import identity as A
from identity.sms import OutboxGateway, Outcome, SmsPolicy, SmsVerifier, last_demo_code
from tests.actions.test_actions_business_down import tracker

PHONE = "13800138002"


@pytest.fixture
def verifier(tmp_path, monkeypatch):
    v = SmsVerifier(tmp_path / "hall.sqlite", OutboxGateway(tmp_path / "outbox.jsonl", echo=io.StringIO()),
                    SmsPolicy(max_attempts=2))
    customer = SimpleNamespace(customer_id="C000002", phone=PHONE, name="李娜", id_number="")
    monkeypatch.setattr(A, "sms", lambda: v)
    monkeypatch.setattr(A, "business", lambda: SimpleNamespace(find_customer=lambda **kw: customer))
    return v


async def test_locked_phone_is_told_every_time_and_the_failure_is_cleared(verifier):
    form = A.ValidateIdentityForm()
    slots = {"candidate_customer_id": "C000002", "identified": False}
    assert form.validate_phone(PHONE, CollectingDispatcher(), tracker(slots), {}) == {"phone": PHONE}
    code = last_demo_code(verifier.gateway.echo.getvalue(), PHONE)
    for _ in range(2):
        verifier.verify(PHONE, "000000" if code != "000000" else "111111")
    assert verifier.send_code(PHONE).outcome == Outcome.LOCKED
    for _ in range(2):                                         # each new attempt: the lock, in words
        dispatcher = CollectingDispatcher()
        filled = form.validate_phone(PHONE, dispatcher, tracker(slots), {})
        assert filled["identity_failed"] is True and "锁定" in dispatcher.messages[0]["text"]
        dispatcher = CollectingDispatcher()
        events = await A.ActionIdentityConfirmed().run(dispatcher, tracker({**slots, **filled}), {})
        assert "工作人员" in dispatcher.messages[0]["text"]
        assert dispatcher.messages[0]["custom"]["type"] == "handoff"
        reset = {e["name"]: e["value"] for e in events}
        assert reset["identity_failed"] is False and reset["phone"] is None
