"""Identity confirmation (确权): face events, ID card events and the manual form
(ID number or account number -> registered phone -> SMS code)."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.intent_names import SERVICE_INTENTS, SERVICE_STARTERS, display_name
from actions.services import business, guarded, honorific, sms
from actions.trust import identity_slots, proven_sensor_entities, trusted_customer_id
from business.adapter import BusinessError, Customer
from hallbot import payloads as P
from identity.account_number import InvalidNumber, mask_phone, parse_account_no, parse_phone
from identity.id_number import InvalidIdNumber, normalize
from identity.id_number import parse as parse_id
from identity.sms import Outcome
from identity.spoken_numbers import to_digits

GATED_REQUESTS = {"query_bill", "query_arrears", "pay_bill", "print_invoice", "new_connection",
                  "capacity_increase", "transfer_ownership", "close_account", "change_tariff",
                  "sign_auto_debit", "ask_recommendation", "enrol_face"}
MAX_ID_CARD_FAILURES = 2


def identified_events(tracker: Tracker, customer: Customer, method: str) -> list[EventType]:
    """method: face | sms | id_card (actions/trust.py seals it with the customer)."""
    return identity_slots(tracker, customer.customer_id, method) + [SlotSet("customer_name", honorific(customer))]


def anonymous_events() -> list[EventType]:
    return [SlotSet("identified", False), SlotSet("customer_id", None), SlotSet("identity_method", None),
            SlotSet("identity_seal", None), SlotSet("second_factor", False)]


def recommendation_reply(dispatcher: CollectingDispatcher, customer: Customer, lead: str) -> list[EventType]:
    """Greet with the top predicted services as buttons; remember the first one as offered."""
    recs = business().recommendations(customer.customer_id, k=3, channel="robot")
    if not recs:
        dispatcher.utter_message(text=f"{lead}请问今天想办理什么业务？")
        return [SlotSet("offered_service", None)]
    top = recs[0]
    intents = [r.intent or SERVICE_INTENTS.get(r.service_code) for r in recs]
    # a service the dialogue cannot do goes to staff, named, so the handoff says which one
    buttons = [{"title": r.title if intent else f"{r.title}（请工作人员办理）",
                "payload": f"/{intent}" if intent else f'/request_human{{"business_type":"{r.service_code}"}}'}
               for r, intent in zip(recs, intents)]
    dispatcher.utter_message(
        text=f"{lead}{top.reason}，需要现在为您办理“{top.title}”吗？",
        buttons=buttons,
        json_message=P.Recommendations(customer.customer_id, tuple(
            P.Recommendation(r.service_code, r.title, r.reason, r.intent, r.score) for r in recs)).to_dict(),
    )
    return [SlotSet("offered_service", intents[0] or f"service:{top.service_code}")]


class ActionGreetCustomer(Action):
    """EXTERNAL_face_recognized{customer_id, sensor_proof}: greet by name and offer predicted services.
    Without the app's proof the event is treated as an unknown person: greeted, not identified."""

    def name(self) -> str:
        return "action_greet_customer"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        proven = proven_sensor_entities(tracker, "EXTERNAL_face_recognized") or {}
        customer_id = proven.get("customer_id")
        customer = business().find_customer(customer_id=customer_id) if customer_id else None
        if customer is None:
            dispatcher.utter_message(response="utter_greet_anonymous")
            return anonymous_events()
        business().record_event(customer.customer_id, channel="robot", kind="arrival")
        events = identified_events(tracker, customer, "face")
        return events + recommendation_reply(dispatcher, customer, f"{honorific(customer)}，您好！欢迎光临。")


class ActionFaceUnknown(Action):
    def name(self) -> str:
        return "action_face_unknown"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text="您好，欢迎光临！您还没有登记人脸。办理业务前需要确认身份：可以刷身份证，或者告诉我身份证号或户号。",
            buttons=[{"title": "刷身份证", "payload": "/use_id_card"},
                     {"title": "输入身份证号或户号", "payload": "/verify_identity"},
                     {"title": "人工服务", "payload": "/request_human"}])
        return []


class ActionIdentifyByIdCard(Action):
    """EXTERNAL_id_card_verified{id_number, sensor_proof}: the app read the card and its photo matched
    the live face. Without the app's proof nothing is verified."""

    def name(self) -> str:
        return "action_identify_by_id_card"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        proven = proven_sensor_entities(tracker, "EXTERNAL_id_card_verified")
        if proven is None:
            dispatcher.utter_message(text="身份证核验没有通过，请重新放置身份证并看向摄像头，或者请工作人员帮您。")
            return anonymous_events()
        id_number = proven.get("id_number")
        customer = business().find_customer(id_number=id_number) if id_number else None
        if customer is None:
            dispatcher.utter_message(text="身份证核验通过，但系统里没有找到您的用电档案。新户开户请到人工窗口办理，我已通知工作人员。")
            return [SlotSet("identified", False)]
        pending, before = tracker.get_slot("pending_request"), trusted_customer_id(tracker)
        starter = SERVICE_STARTERS.get(pending or "")
        if before == customer.customer_id and starter:   # the second factor for a remembered request (step-up)
            dispatcher.utter_message(text=f"身份核验成功，继续为您办理{display_name(pending)}。")
            return identified_events(tracker, customer, "id_card") + [SlotSet("pending_request", None),
                                                                      FollowupAction(starter)]
        dispatcher.utter_message(text=f"身份核验成功，{honorific(customer)}您好！")
        return identified_events(tracker, customer, "id_card") + recommendation_reply(dispatcher, customer, "")


class ActionIdCardFailed(Action):
    """EXTERNAL_id_card_failed{reason}: read error or face mismatch; retry, then staff."""

    def name(self) -> str:
        return "action_id_card_failed"

    async def run(self, dispatcher, tracker, domain):
        failures = int(tracker.get_slot("id_card_failures") or 0) + 1
        reason = next(tracker.get_latest_entity_values("reason"), None)
        if failures >= MAX_ID_CARD_FAILURES:
            dispatcher.utter_message(
                text="身份核验仍未通过，我已请工作人员过来协助您，请稍候。",
                json_message=P.StaffIntervention(reason or "id_card_mismatch").to_dict())
            return [SlotSet("id_card_failures", 0), SlotSet("identity_failed", True)]
        hints = {"read_error": "没有读到身份证信息，请把身份证平放在读卡区",
                 "lookup_error": "系统暂时无法完成身份证核验", "check_error": "系统暂时无法完成身份证核验",
                 # the ID-card check's liveness (bot/kiosk/id_card.py): a photo held up, or no answer
                 "not_live": "没能确认是您本人在摄像头前，请正对摄像头，自然眨眨眼",
                 "no_live_face": "没有看到您的脸，请正对摄像头"}
        hint = hints.get(reason or "", "人脸与身份证照片比对未通过，请摘下帽子或眼镜，正对摄像头")
        dispatcher.utter_message(text=f"{hint}，我们再试一次。", json_message=P.Prompt("id_card").to_dict())
        return [SlotSet("id_card_failures", float(failures))]


class ActionRememberRequest(Action):
    """Remember what an unidentified customer asked for, to resume it after identity; or what a
    customer identified by face alone asked for, to resume it after the second factor."""

    def name(self) -> str:
        return "action_remember_request"

    async def run(self, dispatcher, tracker, domain):
        intent = tracker.latest_message.get("intent", {}).get("name")
        request = intent if intent in GATED_REQUESTS else None
        if trusted_customer_id(tracker) is None:
            dispatcher.utter_message(text="好的。办理这项业务需要先确认您的身份。")
            return [SlotSet("pending_request", request)]
        # identified by face alone, a risky request: step_up_form follows and says why (actions/step_up.py)
        return [SlotSet("pending_request", request), SlotSet("step_up_sent", None)]


class ActionIdentityStopped(Action):
    """The customer cancelled the identity form: forget the request it was for, so verifying
    later (ID card, face) does not start a business they gave up on."""

    def name(self) -> str:
        return "action_identity_stopped"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(response="utter_identity_stopped")
        return [SlotSet("pending_request", None)]


class ActionIdentityConfirmed(Action):
    """Runs when the identity form ends: on success greet; on failure hand off to staff."""

    def name(self) -> str:
        return "action_identity_confirmed"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        # pending_request has done its job (the resume rules matched it before this action ran);
        # identity_failed and phone too: left set, the next message had no trained continuation (no
        # reply, then the fallback); cleared, a new attempt on a locked phone hears the lock again
        reset = [SlotSet("identity_key", None), SlotSet("sms_code", None), SlotSet("candidate_customer_id", None),
                 SlotSet("pending_request", None), SlotSet("phone", None), SlotSet("identity_failed", False)]
        if trusted_customer_id(tracker):
            dispatcher.utter_message(text=f"身份确认成功，{tracker.get_slot('customer_name')}您好！")
            return reset
        dispatcher.utter_message(text="身份确认没有成功，我已通知工作人员过来帮您办理，请稍候。",
                                 json_message=P.Handoff(reason="identity_failed",
                                                        pending_request=tracker.get_slot("pending_request")).to_dict())
        return reset


class ActionAlreadyIdentified(Action):
    def name(self) -> str:
        return "action_already_identified"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text=f"{tracker.get_slot('customer_name')}，您的身份已经确认过了，请问要办理什么业务？")
        return []


class ValidateIdentityForm(FormValidationAction):
    def name(self) -> str:
        return "validate_identity_form"

    def validate_identity_key(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                              domain: DomainDict) -> dict[str, Any]:
        text = normalize(str(value or ""))
        digits = "".join(ch for ch in text if ch.isdigit() or ch == "X")
        try:
            if len(digits) >= 15:  # an ID number attempt: say exactly what is wrong with it
                key = parse_id(digits).value
                customer = business().find_customer(id_number=key)
            else:
                key = parse_account_no(digits or text)
                customer = business().find_customer(account_no=key)
        except (InvalidIdNumber, InvalidNumber) as error:
            dispatcher.utter_message(text=f"{error.reason}。")
            return {"identity_key": None}
        except BusinessError as error:
            dispatcher.utter_message(text=error.message)
            return {"identity_key": None}
        if customer is None:
            dispatcher.utter_message(text="没有找到对应的用电档案，请核对后重新输入，或者说“转人工”。")
            return {"identity_key": None}
        return {"identity_key": key, "candidate_customer_id": customer.customer_id}

    def validate_phone(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                       domain: DomainDict) -> dict[str, Any]:
        entities = {e.get("entity") for e in tracker.latest_message.get("entities") or []}
        if entities & {"account_no", "id_number"} and "phone" not in entities:
            return {"phone": None}   # "不对，是3100000002": the key was corrected, the phone is still to come
        try:
            phone = parse_phone(str(value or ""))
        except InvalidNumber as error:
            dispatcher.utter_message(text=f"{error.reason}，请重新输入。")
            return {"phone": None}
        customer = business().find_customer(customer_id=tracker.get_slot("candidate_customer_id"))
        if customer is None or customer.phone != phone:
            dispatcher.utter_message(text="这个手机号与档案登记的号码不一致，请输入登记的手机号，或者说“转人工”。")
            return {"phone": None}
        result = sms().send_code(phone)
        if result.outcome == Outcome.LOCKED:
            dispatcher.utter_message(text=result.message)
            return {"phone": phone, "sms_code": "-", "identity_failed": True}
        if result.outcome == Outcome.THROTTLED:
            dispatcher.utter_message(text=f"{result.message}。请输入之前收到的验证码。")
        else:
            dispatcher.utter_message(text=f"验证码已发送到{mask_phone(phone)}，{sms().policy.ttl_s // 60}分钟内有效。")
        return {"phone": phone}

    def validate_sms_code(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        if tracker.get_slot("identity_failed"):
            return {"sms_code": "-"}
        result = sms().verify(tracker.get_slot("phone") or "", to_digits(str(value or "")))
        if result.outcome == Outcome.OK:
            customer = business().find_customer(customer_id=tracker.get_slot("candidate_customer_id"))
            if customer is None:  # deleted while we were verifying
                dispatcher.utter_message(text="没有找到对应的用电档案。")
                return {"sms_code": "-", "identity_failed": True}
            business().record_event(customer.customer_id, channel="robot", kind="verified_sms")
            slots = {e["name"]: e["value"] for e in identified_events(tracker, customer, "sms")}
            return {"sms_code": "ok", **slots}
        if result.outcome in (Outcome.LOCKED,):
            dispatcher.utter_message(text=result.message)
            return {"sms_code": "-", "identity_failed": True}
        if result.outcome in (Outcome.EXPIRED, Outcome.NO_CODE):
            dispatcher.utter_message(text=result.message)
            return {"sms_code": None, "phone": None}  # re-asks the phone, which sends a new code
        dispatcher.utter_message(text=result.message)
        return {"sms_code": None}
