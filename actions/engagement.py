"""Recommendations, handoff to staff, farewell, face-enrolment consent and fallback help."""
from __future__ import annotations

from rasa_sdk import Action, Tracker
from rasa_sdk.events import AllSlotsReset, FollowupAction, Restarted, SlotSet

from actions.identity import recommendation_reply
from actions.intent_names import BUSINESS_TYPES, INTENT_NAMES, SERVICE_STARTERS, STAFF_SERVICES, display_name, transcript_text
from actions.risk import allowed, needs_step_up
from actions.services import ask_to_identify_first, business, current_customer, guarded, honorific
from actions.step_up import start_step_up
from actions.trust import trusted_customer_id
from hallbot import payloads as P


class ActionRecommend(Action):
    def name(self) -> str:
        return "action_recommend"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            dispatcher.utter_message(text="确认身份后，我可以根据您的用电情况推荐合适的业务。")
            return []
        return recommendation_reply(dispatcher, customer, "根据您的用电情况，") + [SlotSet("pending_request", None)]


class ActionAcceptRecommendation(Action):
    def name(self) -> str:
        return "action_accept_recommendation"

    async def run(self, dispatcher, tracker, domain):
        offered = tracker.get_slot("offered_service")
        starter = SERVICE_STARTERS.get(offered or "")
        if starter is None:
            if offered:  # a catalogue service without a dialogue: staff or the app handle it
                dispatcher.utter_message(text="好的，这项服务需要工作人员为您办理，我这就通知工作人员。")
                return [SlotSet("offered_service", None), FollowupAction("action_handoff")]
            dispatcher.utter_message(text="好的，请问您想办理什么业务？")
            return []
        dispatcher.utter_message(text="好的，马上为您办理。")
        if offered and needs_step_up(tracker, offered):   # the second factor first, then the service
            return [SlotSet("offered_service", None)] + start_step_up(offered)
        return [SlotSet("offered_service", None), FollowupAction(starter)]


class ActionDeclineRecommendation(Action):
    def name(self) -> str:
        return "action_decline_recommendation"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        offered = tracker.get_slot("offered_service")
        if offered and trusted_customer_id(tracker):
            business().record_event(trusted_customer_id(tracker), channel="robot", kind="declined_recommendation",
                                    text=offered)
        dispatcher.utter_message(text="好的。请问您今天想办理什么业务？")
        return [SlotSet("offered_service", None)]


def requested_business(tracker: Tracker) -> str:
    """The business the customer seems to want: one named in this message (a recommendation button
    for a staff-only service), a remembered request, else the latest business intent."""
    named = next(tracker.get_latest_entity_values("business_type"), None)
    if named:
        return named
    if tracker.get_slot("pending_request"):
        return tracker.get_slot("pending_request")
    if tracker.get_slot("business_type"):
        return tracker.get_slot("business_type")
    for event in reversed(tracker.events):
        intent = event.get("parse_data", {}).get("intent", {}).get("name") if event.get("event") == "user" else None
        if intent in BUSINESS_TYPES:
            return intent
    return ""


class ActionHandoff(Action):
    """Hand the customer to skilled on-duty staff; the app shows the notice on the staff console."""

    def name(self) -> str:
        return "action_handoff"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        wanted = requested_business(tracker)
        business_type = BUSINESS_TYPES.get(wanted) or STAFF_SERVICES.get(wanted, "consult")
        staff = business().staff_for(business_type)
        customer_id = trusted_customer_id(tracker)
        business().record_event(customer_id, channel="robot", kind="handoff", text=business_type)
        transcript = [P.TranscriptLine("customer", transcript_text(e)) if e["event"] == "user"
                      else P.TranscriptLine("robot", e["text"])
                      for e in tracker.events if e.get("event") in ("user", "bot") and e.get("text")]
        who = f"工作人员{staff[0].name}" if staff else "值班工作人员"
        what = f"为您办理{display_name(wanted)}" if wanted else "为您服务"
        dispatcher.utter_message(
            text=f"好的，已通知{who}，马上过来{what}，请稍候。",
            json_message=P.Handoff(customer_id, business_type, tuple(P.StaffRef(s.staff_id, s.name) for s in staff[:3]),
                                   tuple(transcript[-20:])).to_dict())
        return [SlotSet("pending_request", None), SlotSet("business_type", None)]


class ActionFarewell(Action):
    def name(self) -> str:
        return "action_farewell"

    async def run(self, dispatcher, tracker, domain):
        name = tracker.get_slot("customer_name") if trusted_customer_id(tracker) else ""
        dispatcher.utter_message(text=f"{name + '，' if name else ''}感谢您的光临，再见！祝您生活愉快。",
                                 json_message=P.RatingRequest().to_dict())   # the kiosk asks for a one-tap rating
        return []


class ActionSessionEnd(Action):
    """The customer walked away: forget everything so the next person starts clean."""

    def name(self) -> str:
        return "action_session_end"

    async def run(self, dispatcher, tracker, domain):
        return [AllSlotsReset(), Restarted()]


class ActionEnrolFace(Action):
    """Consent given: the app captures the live face and stores the template. Needs a second factor
    from this visit (SMS code or ID card + face match): a face match alone must not add faces."""

    def name(self) -> str:
        return "action_enrol_face"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            ask_to_identify_first(dispatcher, "登记人脸")
            return []
        if not allowed(tracker, "enrol_face"):
            dispatcher.utter_message(
                text="为了保护您的账户，登记人脸前需要再核验一次身份：请刷身份证，或者请工作人员协助。",
                buttons=[{"title": "刷身份证", "payload": "/use_id_card"},
                         {"title": "人工服务", "payload": "/request_human"}])
            return []
        business().record_event(customer.customer_id, channel="robot", kind="face_consent")
        dispatcher.utter_message(text=f"谢谢{honorific(customer)}。请正对摄像头保持两秒，我来为您登记人脸。",
                                 json_message=P.FaceEnrolment(customer.customer_id, consent=True).to_dict())
        return []


class ActionAskAffirmation(Action):
    """First stage of the two-stage fallback, in Chinese: "您是想查询电费吗？"."""

    def name(self) -> str:
        return "action_default_ask_affirmation"

    async def run(self, dispatcher, tracker, domain):
        ranking = tracker.latest_message.get("intent_ranking") or []
        guess = next((r["name"] for r in ranking if r["name"].split("/")[0] in INTENT_NAMES
                      and r["name"] not in ("nlu_fallback", "out_of_scope")), None)
        if guess is None:
            dispatcher.utter_message(response="utter_ask_rephrase")
            return []
        dispatcher.utter_message(text=f"您是想{display_name(guess)}吗？",
                                 buttons=[{"title": "是的", "payload": f"/{guess}"},
                                          {"title": "不是", "payload": "/out_of_scope"}])
        return []
