"""A business system that is down gives the customer a clear message, never a crash."""
from __future__ import annotations

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import services
from actions.billing import ActionQueryArrears, ValidatePaymentForm
from actions.identity import ValidateIdentityForm
from bot.supervisor import free_port
from business import factory


@pytest.fixture
def business_down(monkeypatch):
    monkeypatch.setenv("HALLBOT_BUSINESS_URL", f"http://127.0.0.1:{free_port()}")
    factory.reset()
    services.business.cache_clear()
    yield
    factory.reset()
    services.business.cache_clear()


def identified(customer_id: str, method: str = "face", sender: str = "t1") -> dict:
    """Slots of a customer the actions confirmed (with their seal, actions/trust.py)."""
    from actions import trust
    from identity.proof import seal_identity

    return {"identified": True, "customer_id": customer_id, "identity_method": method,
            "identity_seal": seal_identity(trust.sensor_key(), sender, customer_id, method)}


def tracker(slots: dict, text: str = "有没有欠费", intent: str = "query_arrears") -> Tracker:
    return Tracker("t1", slots, {"text": text, "intent": {"name": intent}, "entities": []}, [], False, None,
                   {"name": None}, "action_listen")


async def test_action_explains_that_the_business_system_is_unreachable(business_down):
    dispatcher = CollectingDispatcher()
    events = await ActionQueryArrears().run(dispatcher, tracker(identified("C000001")), {})
    assert events == []
    assert "业务系统暂时无法访问" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["custom"] == {"type": "error", "code": "unavailable"}


def test_identity_form_explains_that_the_business_system_is_unreachable(business_down):
    dispatcher = CollectingDispatcher()
    result = ValidateIdentityForm().validate_identity_key("3100000001", dispatcher, tracker({}), {})
    assert result == {"identity_key": None}  # nothing lost: the form asks again
    assert "业务系统暂时无法访问" in dispatcher.messages[0]["text"]


def test_payment_form_rejects_an_account_of_someone_else(tmp_path, monkeypatch):
    """In-process SQL business system (demo data): the account must be the customer's own."""
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(tmp_path))
    monkeypatch.setenv("HALLBOT_DEMO_CUSTOMERS", "50")
    monkeypatch.delenv("HALLBOT_BUSINESS_URL", raising=False)
    factory.reset()
    services.business.cache_clear()
    dispatcher = CollectingDispatcher()
    result = ValidatePaymentForm().validate_account_no("3100000003", dispatcher,
                                                       tracker(identified("C000001")), {})
    assert result == {"account_no": None}
    assert "不在您的名下" in dispatcher.messages[0]["text"]
    factory.reset()
    services.business.cache_clear()
