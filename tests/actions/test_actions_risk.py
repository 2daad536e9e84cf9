"""Step-up by risk (actions/risk.py): the table of operations and levels, the checks every risky action
makes, and the step-up form's actions (SMS code to the registered phone, re-sealed identity)."""
from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path
from types import SimpleNamespace

import pytest
import yaml
from rasa_sdk.executor import CollectingDispatcher

from actions import risk, step_up
from actions.applications import ActionSubmitApplication
from actions.billing import ActionPayBill
from actions.engagement import ActionAcceptRecommendation, ActionEnrolFace
from actions.risk import Level
from actions.trust import sensor_key
from hallbot.settings import ROOT
from identity.proof import ProofError, check_seal
from identity.sms import OutboxGateway, SmsPolicy, SmsVerifier, last_demo_code
from tests.actions.test_actions_business_down import identified, tracker

PHONE = "13800138002"
RISKY = {"pay_bill", "transfer_ownership", "close_account", "capacity_increase", "invoice_new_title",
         "change_contact", "enrol_face"}
FACE_ONLY = {"greet", "query_bill", "query_arrears", "ask_recommendation", "print_invoice"}


def test_the_table_puts_each_operation_at_its_level():
    assert {op for op, level in risk.OPERATIONS.items() if level is Level.SECOND_FACTOR} == RISKY
    assert {op for op, level in risk.OPERATIONS.items() if level is Level.FACE} >= FACE_ONLY


def test_an_operation_missing_from_the_table_needs_the_second_factor():
    assert risk.level("something_new") is Level.SECOND_FACTOR


@pytest.mark.parametrize("method", ["face", "sms", "id_card"])
def test_what_each_identity_method_allows(method):
    t = tracker(identified("C000001", method))
    for operation in FACE_ONLY:
        assert risk.allowed(t, operation)
        assert not risk.needs_step_up(t, operation)
    for operation in RISKY:
        assert risk.allowed(t, operation) is (method != "face")
        assert risk.needs_step_up(t, operation) is (method == "face")


def test_slots_without_a_valid_seal_allow_nothing_and_ask_no_step_up():
    """identity_method written through Rasa's API: the seal was made for "face" (or is missing)."""
    sealed_for_face = identified("C000001", "face")
    for slots in ({**sealed_for_face, "identity_method": "sms", "second_factor": True},
                  {"identified": True, "customer_id": "C000001", "identity_method": "id_card", "second_factor": True}):
        t = tracker(slots)
        assert not any(risk.allowed(t, op) for op in risk.OPERATIONS)
        assert not any(risk.needs_step_up(t, op) for op in risk.OPERATIONS)


def test_every_application_kind_has_an_operation():
    from actions.applications import FORM_TO_APPLICATION

    assert {kind for kind, _ in FORM_TO_APPLICATION.values()} == set(risk.APPLICATION_OPERATIONS)
    assert set(risk.APPLICATION_OPERATIONS.values()) <= set(risk.OPERATIONS)


def test_every_risky_intent_is_routed_to_the_step_up_in_the_rules():
    """The dialogue's own routing: an identified customer's risky request runs its form only with
    second_factor: true, and has a step-up rule and a resume rule."""
    rules = yaml.safe_load(Path(ROOT / "stories" / "rules.yml").read_text(encoding="utf-8"))["rules"]
    domain = yaml.safe_load(Path(ROOT / "domain.yml").read_text(encoding="utf-8"))
    risky_intents = RISKY & set(domain["intents"]) - {"enrol_face"}     # enrolment refuses in its action
    for intent in risky_intents:
        starts = [r for r in rules if r["steps"][0] == {"intent": intent}
                  and {"slot_was_set": [{"identified": True}]} in r.get("condition", [])]
        assert starts, intent
        by_factor = {next(c["slot_was_set"][0]["second_factor"] for c in r["condition"]
                          if "second_factor" in c.get("slot_was_set", [{}])[0]): r for r in starts}
        assert by_factor[False]["steps"][1:3] == [{"action": "action_remember_request"}, {"action": "step_up_form"}]
        assert by_factor[True]["steps"][1]["action"].endswith("_form")
        assert any({"slot_was_set": [{"pending_request": intent}]} in r.get("condition", [])
                   and {"action": "action_step_up_confirmed"} in r["steps"] for r in rules), intent


@pytest.fixture
def hall_desk(tmp_path, monkeypatch):
    """A fake business system (one customer, 李娜, one account owing money) and a real SMS verifier."""
    verifier = SmsVerifier(tmp_path / "hall.sqlite", OutboxGateway(tmp_path / "outbox.jsonl", echo=io.StringIO()),
                           SmsPolicy(max_attempts=2))
    customer = SimpleNamespace(customer_id="C000002", phone=PHONE, name="李娜", id_number="")
    calls: list[str] = []

    def pay(*args, **kwargs):
        calls.append("pay")
        raise AssertionError("paid without a second factor")

    biz = SimpleNamespace(find_customer=lambda **kw: customer, record_event=lambda *a, **kw: calls.append(kw["kind"]),
                          arrears=lambda account_no: Decimal("10.00"), pay=pay,
                          create_application=lambda *a, **kw: calls.append("application"))
    for module in ("actions.services", "actions.step_up", "actions.billing", "actions.applications"):
        monkeypatch.setattr(f"{module}.business", lambda: biz)
    monkeypatch.setattr(step_up, "sms", lambda: verifier)
    return SimpleNamespace(verifier=verifier, calls=calls, code=lambda: last_demo_code(
        verifier.gateway.echo.getvalue(), PHONE))


def followups(events: list[dict]) -> list[str]:
    return [e["name"] for e in events if e.get("event") == "followup"]


def slot_values(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


async def test_paying_with_a_face_alone_starts_the_step_up_instead(hall_desk):
    slots = {**identified("C000002"), "account_no": "3100000002", "confirmed": True}
    events = await ActionPayBill().run(CollectingDispatcher(), tracker(slots, "确认", "affirm"), {})
    assert followups(events) == ["step_up_form"] and slot_values(events)["pending_request"] == "pay_bill"
    assert "pay" not in hall_desk.calls


async def test_closing_with_a_face_alone_starts_the_step_up_instead(hall_desk):
    slots = {**identified("C000002"), "account_no": "3100000002", "confirmed": True}
    t = tracker(slots, "确认", "affirm")
    t.events = [{"event": "action", "name": "closing_form"}]
    events = await ActionSubmitApplication().run(CollectingDispatcher(), t, {})
    assert followups(events) == ["step_up_form"] and slot_values(events)["pending_request"] == "close_account"
    assert "application" not in hall_desk.calls


async def test_accepting_a_recommended_payment_with_a_face_alone_asks_the_second_factor(hall_desk):
    events = await ActionAcceptRecommendation().run(
        CollectingDispatcher(), tracker({**identified("C000002"), "offered_service": "pay_bill"}, "好的", "affirm"), {})
    assert followups(events) == ["step_up_form"]
    sms_verified = tracker({**identified("C000002", "sms"), "offered_service": "pay_bill"}, "好的", "affirm")
    assert followups(await ActionAcceptRecommendation().run(CollectingDispatcher(), sms_verified, {})) == ["payment_form"]


async def test_face_enrolment_uses_the_table(hall_desk):
    dispatcher = CollectingDispatcher()
    await ActionEnrolFace().run(dispatcher, tracker(identified("C000002")), {})
    assert "再核验" in dispatcher.messages[0]["text"] and "face_consent" not in hall_desk.calls


async def test_the_code_goes_to_the_registered_phone_once_and_is_masked(hall_desk):
    ask = step_up.ActionAskStepUpCode()
    slots = {**identified("C000002"), "pending_request": "pay_bill"}
    dispatcher = CollectingDispatcher()
    events = await ask.run(dispatcher, tracker(slots), {})
    text = dispatcher.messages[0]["text"]
    assert "为了您的资金安全" in text and "尾号8002" in text and PHONE not in text
    assert {"title": "刷身份证", "payload": "/use_id_card"} in dispatcher.messages[0]["buttons"]
    assert slot_values(events) == {"step_up_sent": True} and hall_desk.code()
    again = CollectingDispatcher()
    await ask.run(again, tracker({**slots, "step_up_sent": True}), {})       # re-asked: no second code
    assert "尾号8002" in again.messages[0]["text"]
    assert hall_desk.verifier.gateway.path.read_text().count("\n") == 1


async def test_a_right_code_re_seals_the_identity_as_sms_and_a_wrong_one_is_refused(hall_desk):
    slots = {**identified("C000002"), "pending_request": "pay_bill"}
    await step_up.ActionAskStepUpCode().run(CollectingDispatcher(), tracker(slots), {})
    form, code = step_up.ValidateStepUpForm(), hall_desk.code()
    dispatcher = CollectingDispatcher()
    assert form.validate_sms_code("000000" if code != "000000" else "111111", dispatcher, tracker(slots), {}) == \
        {"sms_code": None}
    assert "验证码不正确" in dispatcher.messages[0]["text"]
    upgraded = form.validate_sms_code(code, CollectingDispatcher(), tracker(slots), {})
    assert upgraded["sms_code"] == "ok" and upgraded["identity_method"] == "sms" and upgraded["second_factor"] is True
    check_seal(sensor_key(), "t1", "C000002", "sms", upgraded["identity_seal"])
    with pytest.raises(ProofError):
        check_seal(sensor_key(), "t1", "C000002", "face", upgraded["identity_seal"])
    assert "verified_sms" in hall_desk.calls
    after = tracker({**slots, **upgraded})
    assert risk.allowed(after, "pay_bill") and risk.allowed(after, "close_account")
    dispatcher = CollectingDispatcher()
    events = await step_up.ActionStepUpConfirmed().run(dispatcher, after, {})
    assert "验证成功" in dispatcher.messages[0]["text"] and slot_values(events)["pending_request"] is None


async def test_a_locked_phone_ends_the_step_up_with_a_handoff(hall_desk):
    slots = {**identified("C000002"), "pending_request": "pay_bill"}
    await step_up.ActionAskStepUpCode().run(CollectingDispatcher(), tracker(slots), {})
    wrong = "000000" if hall_desk.code() != "000000" else "111111"
    form = step_up.ValidateStepUpForm()
    form.validate_sms_code(wrong, CollectingDispatcher(), tracker(slots), {})
    dispatcher = CollectingDispatcher()
    assert form.validate_sms_code(wrong, dispatcher, tracker(slots), {}) == {"sms_code": "-"}
    assert "锁定" in dispatcher.messages[0]["text"]
    dispatcher = CollectingDispatcher()
    await step_up.ActionStepUpConfirmed().run(dispatcher, tracker({**slots, "sms_code": "-"}), {})
    assert "工作人员" in dispatcher.messages[0]["text"]
    assert dispatcher.messages[0]["custom"]["type"] == "handoff"
    assert dispatcher.messages[0]["custom"]["pending_request"] == "pay_bill"


async def test_the_form_starting_spends_no_attempt(hall_desk):
    """step_up_form validates what this turn set when it starts: nothing typed is no wrong code."""
    slots = {**identified("C000002"), "pending_request": "pay_bill"}
    await step_up.ActionAskStepUpCode().run(CollectingDispatcher(), tracker(slots), {})
    dispatcher = CollectingDispatcher()
    assert step_up.ValidateStepUpForm().validate_sms_code(None, dispatcher, tracker(slots), {}) == {"sms_code": None}
    assert dispatcher.messages == []
    assert hall_desk.verifier.verify(PHONE, "x").attempts_left == 1     # of max_attempts=2: none was spent


async def test_a_code_said_as_words_is_accepted(hall_desk):
    slots = {**identified("C000002"), "pending_request": "pay_bill"}
    await step_up.ActionAskStepUpCode().run(CollectingDispatcher(), tracker(slots), {})
    words = "".join("零幺二三四五六七八九"[int(d)] for d in hall_desk.code())   # 三五七... as the customer says it
    upgraded = step_up.ValidateStepUpForm().validate_sms_code(f"验证码是{words}", CollectingDispatcher(), tracker(slots), {})
    assert upgraded["sms_code"] == "ok"
