"""The second factor asked in the dialogue (actions/risk.py says when): a customer identified by face
alone asks for something risky, the request is remembered (pending_request), step_up_form sends an
SMS code to the phone the business system has on file (never one the customer types) and checks it;
the ID card with a 1:1 live-face match is offered instead (actions/identity.ActionIdentifyByIdCard).
Once verified, the identity is re-sealed with method sms / id_card for the rest of the visit and the
request continues (stories/rules.yml "step-up by risk")."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.intent_names import display_name
from actions.services import ask_to_identify_first, business, current_customer, guarded, sms
from actions.trust import has_second_factor, identity_slots
from hallbot import payloads as P
from identity.sms import Outcome
from identity.spoken_numbers import to_digits

STEP_UP_FORM = "step_up_form"
MONEY = {"pay_bill"}
CHOICES = [{"title": "刷身份证", "payload": "/use_id_card"}, {"title": "人工服务", "payload": "/request_human"}]


def start_step_up(operation: str) -> list[EventType]:
    """Events that remember `operation` (an intent of pending_request) and start the step-up form
    now, whatever the policies would predict (an accepted recommendation, an action that refuses)."""
    # no SlotSet of sms_code here: the form would take it, set in this turn, for the customer's answer
    return [SlotSet("pending_request", operation), SlotSet("step_up_sent", None), FollowupAction(STEP_UP_FORM)]


def tail(phone: str) -> str:
    return phone[-4:]


class ActionAskStepUpCode(Action):
    """step_up_form asks for sms_code: send the code once per form run, then only re-ask."""

    def name(self) -> str:
        return "action_ask_step_up_form_sms_code"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            ask_to_identify_first(dispatcher)
            return []
        if not customer.phone:
            dispatcher.utter_message(text="您的档案没有可用的登记手机号，请刷身份证核验，或者请工作人员协助。", buttons=CHOICES)
            return []
        why = "资金" if tracker.get_slot("pending_request") in MONEY else "账户"
        if tracker.get_slot("step_up_sent"):
            dispatcher.utter_message(text=f"请输入发送到尾号{tail(customer.phone)}手机的6位验证码，也可以刷身份证核验。",
                                     buttons=CHOICES)
            return []
        result = sms().send_code(customer.phone)
        if result.outcome == Outcome.LOCKED:
            dispatcher.utter_message(text=f"{result.message}。我已通知工作人员，您也可以刷身份证核验。", buttons=CHOICES,
                                     json_message=P.Handoff(customer.customer_id, reason="identity_failed",
                                                            pending_request=tracker.get_slot("pending_request")).to_dict())
            return [SlotSet("step_up_sent", True)]
        minutes = sms().policy.ttl_s // 60
        again = f"（{result.message}）" if result.outcome == Outcome.THROTTLED else ""
        dispatcher.utter_message(
            text=f"为了您的{why}安全，请输入发送到尾号{tail(customer.phone)}手机的验证码{again}，{minutes}分钟内有效；"
                 "也可以刷身份证核验。", buttons=CHOICES)
        return [SlotSet("step_up_sent", True)]


class ValidateStepUpForm(FormValidationAction):
    def name(self) -> str:
        return "validate_step_up_form"

    def validate_sms_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        if value is None:             # nothing typed yet (the form starting): no attempt spent
            return {"sms_code": None}
        customer = current_customer(tracker)
        if customer is None or not customer.phone:
            return {"sms_code": "-"}
        value = to_digits(str(value))   # 三五七九二四 is a code too
        if not any(ch.isdigit() for ch in str(value)):
            dispatcher.utter_message(text="请输入短信里的6位数字验证码。")
            return {"sms_code": None}
        result = sms().verify(customer.phone, str(value))
        if result.outcome == Outcome.OK:
            business().record_event(customer.customer_id, channel="robot", kind="verified_sms")
            upgraded = {e["name"]: e["value"] for e in identity_slots(tracker, customer.customer_id, "sms")}
            return {"sms_code": "ok", **upgraded}
        dispatcher.utter_message(text=result.message)
        if result.outcome == Outcome.LOCKED:
            return {"sms_code": "-"}                       # the form ends; action_step_up_confirmed hands off
        if result.outcome in (Outcome.EXPIRED, Outcome.NO_CODE):
            return {"sms_code": None, "step_up_sent": False}   # the question sends a new code
        return {"sms_code": None}


class ActionStepUpConfirmed(Action):
    """step_up_form ended: verified -> the remembered request goes on (rules); else staff."""

    def name(self) -> str:
        return "action_step_up_confirmed"

    async def run(self, dispatcher, tracker, domain):
        pending = tracker.get_slot("pending_request")
        reset = [SlotSet("sms_code", None), SlotSet("step_up_sent", None), SlotSet("pending_request", None)]
        if has_second_factor(tracker):
            dispatcher.utter_message(text=f"验证成功，继续为您办理{display_name(pending)}。" if pending else "验证成功。")
            return reset
        dispatcher.utter_message(text="身份验证没有通过，我已通知工作人员过来帮您办理，请稍候。",
                                 json_message=P.Handoff(reason="identity_failed", pending_request=pending).to_dict())
        return reset


class ActionStepUpStopped(Action):
    def name(self) -> str:
        return "action_step_up_stopped"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="好的，已取消。还有其他需要帮忙的吗？")
        return [SlotSet("sms_code", None), SlotSet("step_up_sent", None), SlotSet("pending_request", None)]
