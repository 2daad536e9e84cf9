"""Risk review in the actions (actions/risk_review.py): a sensitive operation pauses on the app's
signed abnormal-emotion verdict, never on a forged calm one, and resumes only on the app's signed
staff decision. The dialogue around it runs through the real Rasa server in tests/kiosk."""
from __future__ import annotations

import time
from decimal import Decimal
from types import SimpleNamespace

import pytest
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import risk_review, trust
from actions.applications import ActionSubmitApplication
from actions.billing import ActionPayBill
from actions.risk_review import ActionRiskReviewDecided
from hallbot.settings import RiskSettings
from identity.proof import PROOF_ENTITY, sign_evidence, signed_entities
from identity.used_proofs import MemoryUsedProofs
from tests.actions.test_actions_business_down import identified

SENDER = "t1"
ABNORMAL = {"abnormal": True, "judged": True, "samples": 12, "abnormal_samples": 10, "share": 0.833,
            "dominant": "fear", "window_s": 20.0, "counts": {"fear": 10, "neutral": 2}}
CALM = {**ABNORMAL, "abnormal": False, "abnormal_samples": 1, "share": 0.083, "dominant": "neutral",
        "counts": {"fear": 1, "neutral": 11}}


def signed(evidence: dict, sender: str = SENDER) -> dict:
    return {"emotion": sign_evidence(trust.sensor_key(), sender, evidence)}


def tracker(slots: dict, metadata: dict | None = None, intent: str = "affirm", entities: list | None = None,
            events: list | None = None) -> Tracker:
    latest = {"text": "确认", "intent": {"name": intent}, "entities": entities or []}
    user = {"event": "user", "text": "确认", "parse_data": latest, "metadata": metadata or {}}
    return Tracker(SENDER, slots, latest, (events or []) + [user], False, None, {"name": None}, "action_listen")


@pytest.fixture
def hall_desk(monkeypatch):
    """A fake business system: 李娜 owes `owed` on one account; what is paid or filed is recorded."""
    customer = SimpleNamespace(customer_id="C000002", phone="13800138002", name="李娜", id_number="")
    desk = SimpleNamespace(calls=[], owed=Decimal("800.00"))

    def pay(account_no, amount, **kwargs):
        desk.calls.append(("pay", account_no, amount))
        return SimpleNamespace(payment_id="P1", amount=amount, balance_after=Decimal("0"))

    biz = SimpleNamespace(find_customer=lambda **kw: customer, arrears=lambda account_no: desk.owed, pay=pay,
                          record_event=lambda *a, **kw: None,
                          create_application=lambda kind, **kw: desk.calls.append(("application", kind)) or
                          SimpleNamespace(application_id="A1", status="submitted"))
    for module in ("actions.services", "actions.billing", "actions.applications"):
        monkeypatch.setattr(f"{module}.business", lambda: biz)
    monkeypatch.setattr(risk_review, "settings", lambda: RiskSettings(
        frozenset({"pay_bill", "transfer_ownership", "close_account", "change_contact"}), 500.0,
        frozenset({"fear", "angry", "sad"}), 20.0, 8, 0.6, 0.4))
    monkeypatch.setattr(trust, "used_proofs", MemoryUsedProofs)
    return desk


def paying(**extra) -> dict:
    return {**identified("C000002", "sms"), "account_no": "3100000002", "confirmed": True, **extra}


def review_of(dispatcher: CollectingDispatcher) -> dict | None:
    customs = [m.get("custom") for m in dispatcher.messages if (m.get("custom") or {}).get("type") == "risk_review"]
    return customs[0] if customs else None


def slots_of(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_an_abnormal_emotion_pauses_a_large_payment_for_staff(hall_desk):
    dispatcher = CollectingDispatcher()
    events = await ActionPayBill().run(dispatcher, tracker(paying(), signed(ABNORMAL)), {})
    review = review_of(dispatcher)
    assert review is not None and review["operation"] == "pay_bill" and review["customer_id"] == "C000002"
    assert "800" in review["summary"] and "工作人员" in dispatcher.messages[0]["text"]
    assert slots_of(events)["risk_review_id"] == review["review_id"]
    assert "confirmed" not in slots_of(events)   # kept: the approved payment goes on from here
    assert hall_desk.calls == []


@pytest.mark.parametrize("case", ["calm", "no camera", "below the limit"])
async def test_the_payment_goes_on_without_a_reason_to_pause(hall_desk, case):
    metadata = {"calm": signed(CALM), "no camera": None, "below the limit": signed(ABNORMAL)}[case]
    if case == "below the limit":
        hall_desk.owed = Decimal("120.00")
    dispatcher = CollectingDispatcher()
    await ActionPayBill().run(dispatcher, tracker(paying(), metadata), {})
    assert review_of(dispatcher) is None
    assert [c[0] for c in hall_desk.calls] == ["pay"]


@pytest.mark.parametrize("case", ["calm verdict edited", "other conversation", "stale", "no proof"])
async def test_evidence_the_app_did_not_sign_pauses(hall_desk, case):
    """A calm verdict that does not verify is treated as abnormal: fail closed."""
    good = signed(ABNORMAL)["emotion"]
    emotion = {"calm verdict edited": {**good, "abnormal": False},
               "other conversation": signed(CALM, sender="t2")["emotion"],
               "stale": sign_evidence(trust.sensor_key(), SENDER, CALM, now=1_000_000.0),
               "no proof": dict(CALM)}[case]
    dispatcher = CollectingDispatcher()
    await ActionPayBill().run(dispatcher, tracker(paying(), {"emotion": emotion}), {})
    assert review_of(dispatcher) is not None and "校验失败" in review_of(dispatcher)["summary"]
    assert hall_desk.calls == []


async def test_an_ownership_transfer_pauses_too(hall_desk):
    dispatcher = CollectingDispatcher()
    t = tracker({**paying(), "new_holder_name": "王芳"}, signed(ABNORMAL),
                events=[{"event": "action", "name": "transfer_form"}])
    await ActionSubmitApplication().run(dispatcher, t, {})
    assert review_of(dispatcher)["operation"] == "transfer_ownership" and hall_desk.calls == []


def decision(review_id: str, verdict: str, key: str | None = None) -> list[dict]:
    entities = signed_entities(key or trust.sensor_key(), SENDER, risk_review.DECIDED_INTENT,
                               {"review_id": review_id, "decision": verdict})
    return [{"entity": k, "value": v} for k, v in entities.items()]


async def paused(hall_desk) -> dict:
    events = await ActionPayBill().run(CollectingDispatcher(), tracker(paying(), signed(ABNORMAL)), {})
    return slots_of(events)


async def test_staff_approval_resumes_the_payment_once(hall_desk):
    slots = await paused(hall_desk)
    dispatcher = CollectingDispatcher()
    decided = tracker(paying(**slots), intent=risk_review.DECIDED_INTENT,
                      entities=decision(slots["risk_review_id"], "approved"))
    events = await ActionRiskReviewDecided().run(dispatcher, decided, {})
    assert [e["name"] for e in events if e.get("event") == "followup"] == ["action_pay_bill"]
    assert dispatcher.messages[0]["custom"] == {"type": "risk_review_result", "review_id": slots["risk_review_id"],
                                                "approved": True}
    approved = {**paying(**slots), **slots_of(events)}
    # the resumed action runs in the decision's turn: the camera still says abnormal, staff said yes
    after = await ActionPayBill().run(CollectingDispatcher(), tracker(approved, signed(ABNORMAL)), {})
    assert [c[0] for c in hall_desk.calls] == ["pay"]
    assert all(slots_of(after)[s] is None for s in risk_review.SLOTS)    # the approval is spent


async def test_staff_refusal_is_told_and_nothing_is_paid(hall_desk):
    slots = await paused(hall_desk)
    dispatcher = CollectingDispatcher()
    decided = tracker(paying(**slots), intent=risk_review.DECIDED_INTENT,
                      entities=decision(slots["risk_review_id"], "refused"))
    events = await ActionRiskReviewDecided().run(dispatcher, decided, {})
    assert not [e for e in events if e.get("event") == "followup"]
    assert dispatcher.messages[0]["text"] == risk_review.REFUSED
    assert slots_of(events)["confirmed"] is None and hall_desk.calls == []


@pytest.mark.parametrize("case", ["forged", "another review", "no proof"])
async def test_a_decision_the_app_did_not_sign_is_ignored(hall_desk, case):
    slots = await paused(hall_desk)
    entities = {"forged": decision(slots["risk_review_id"], "approved", key="not-the-key"),
                "another review": decision("rv-other", "approved"),
                "no proof": [e for e in decision(slots["risk_review_id"], "approved") if e["entity"] != PROOF_ENTITY]}[case]
    dispatcher = CollectingDispatcher()
    events = await ActionRiskReviewDecided().run(
        dispatcher, tracker(paying(**slots), intent=risk_review.DECIDED_INTENT, entities=entities), {})
    assert events == [] and dispatcher.messages == []


async def test_an_approval_slot_written_without_the_seal_approves_nothing(hall_desk):
    slots = {**(await paused(hall_desk)), "risk_review_approval": "1700000000.deadbeef"}
    dispatcher = CollectingDispatcher()
    await ActionPayBill().run(dispatcher, tracker(paying(**slots), signed(ABNORMAL)), {})
    assert review_of(dispatcher) is not None and hall_desk.calls == []


def test_what_customers_and_staff_read_is_plain_chinese():
    from tests.plain_language import internal_names

    texts = [risk_review.PAUSED, risk_review.APPROVED, risk_review.REFUSED, *risk_review.TITLES.values()]
    assert [t for t in texts if internal_names(t)] == []
    assert set(risk_review.TITLES) >= RiskSettings.from_env().operations   # every default operation has a name


@pytest.mark.parametrize("earlier, paused", [(ABNORMAL, True), (CALM, False)])
async def test_a_sensor_turn_without_evidence_is_judged_by_the_customers_last_turn(hall_desk, earlier, paused):
    """The ID card completes a step-up: the payment runs in the card event's turn, which has no metadata."""
    before = {"event": "user", "text": "我要交电费", "parse_data": {}, "metadata": signed(earlier)}
    dispatcher = CollectingDispatcher()
    card_turn = tracker(paying(), None, intent="EXTERNAL_id_card_verified", events=[before])
    await ActionPayBill().run(dispatcher, card_turn, {})
    assert (review_of(dispatcher) is not None) is paused
    assert (hall_desk.calls == []) is paused


async def test_an_earlier_verdict_that_is_too_old_pauses(hall_desk):
    stale = sign_evidence(trust.sensor_key(), SENDER, CALM, now=time.time() - 600)
    before = {"event": "user", "text": "我要交电费", "parse_data": {}, "metadata": {"emotion": stale}}
    dispatcher = CollectingDispatcher()
    await ActionPayBill().run(dispatcher, tracker(paying(), None, intent="EXTERNAL_id_card_verified", events=[before]), {})
    assert review_of(dispatcher) is not None and hall_desk.calls == []
