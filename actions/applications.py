"""Service applications (new connection, capacity increase, transfer, closing) and outages."""
from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.billing import AccountFormValidation
from actions.intent_names import transcript_text
from actions.risk import APPLICATION_OPERATIONS, allowed
from actions.risk_review import done as review_done
from actions.risk_review import pause_if_needed
from actions.services import ask_to_identify_first, business, current_customer, guarded
from actions.step_up import start_step_up
from actions.trust import trusted_customer_id
from hallbot import payloads as P
from identity.account_number import InvalidNumber, mask_phone, parse_phone
from identity.spoken_numbers import to_digits

# The form that just finished decides what kind of application to file.
FORM_TO_APPLICATION = {
    "new_connection_form": ("new_connection", "新装用电"),
    "capacity_form": ("capacity_increase", "增容"),
    "transfer_form": ("transfer", "过户"),
    "closing_form": ("closing", "销户"),
}
_ADDRESS_HINT = re.compile(r"(省|市|区|县|镇|乡|村|路|街|道|巷|弄|号|栋|楼|单元|室|小区|院)")
_CAPACITY = re.compile(r"(\d+(?:\.\d+)?)\s*(千伏安|kva|KVA|kVA|千瓦|kw|KW|kW)?")
_CHINESE_NAME = re.compile(r"^[\u4e00-\u9fa5·]{2,8}$")


def last_finished_form(tracker: Tracker) -> str | None:
    for event in reversed(tracker.events):
        if event.get("event") == "action" and event.get("name") in FORM_TO_APPLICATION:
            return event["name"]
    return None


_LEAD_IN = re.compile(r"^(?:我家|我们家|家里|我)?(?:住)?(?:在|是|的地址是|地址是|地址在|地址)?[：:，,\s]*")
_TRAIL = re.compile(r"[，,。\s]*(?:这边|那边|附近|这里)?(?:突然)?(?:停电了|没电了|停电|没电|断电了|断电).*$")


def spoken_address(value: Any, said: str) -> str:
    """The whole address the customer said: NLU's address entity is sometimes only its tail
    ("3号801" out of "海淀区中关村大街1号院3号801"), which the crew cannot find."""
    entity = str(value or "").strip()
    whole = _TRAIL.sub("", _LEAD_IN.sub("", (said or "").strip())).strip("，,。 ")
    return whole if entity and entity in whole and _ADDRESS_HINT.search(whole) and len(whole) <= 128 else entity


def validate_address(value: Any, dispatcher: CollectingDispatcher) -> dict[str, Any]:
    address = str(value or "").strip()
    if len(address) < 5 or not _ADDRESS_HINT.search(address):
        dispatcher.utter_message(text="地址不够详细，请说出区、街道或小区、门牌号，比如“朝阳区建国路88号3单元502”。")
        return {"address": None}
    return {"address": address}


class ValidateOutageForm(FormValidationAction):
    def name(self) -> str:
        return "validate_outage_form"

    async def extract_address(self, dispatcher, tracker, domain):
        """An identified customer with one account reports for that address unless told otherwise."""
        customer_id = trusted_customer_id(tracker)
        if tracker.get_slot("address") or not customer_id:
            return {}
        accounts = business().accounts_of(customer_id)
        return {"address": accounts[0].address} if len(accounts) == 1 else {}

    def validate_address(self, value, dispatcher, tracker, domain):
        return validate_address(spoken_address(value, tracker.latest_message.get("text") or ""), dispatcher)

    async def extract_callback_phone(self, dispatcher, tracker, domain):
        """A verified customer is called back on the phone the business system has; nobody is asked."""
        customer = current_customer(tracker)
        if tracker.get_slot("callback_phone") or customer is None or not customer.phone:
            return {}
        return {"callback_phone": customer.phone}

    def validate_callback_phone(self, value, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is not None and value == customer.phone:
            return {"callback_phone": value}
        try:
            return {"callback_phone": parse_phone(str(value or ""))}
        except InvalidNumber as error:
            dispatcher.utter_message(text=f"{error.reason}，请再说一遍联系电话。")
            return {"callback_phone": None}


class ValidateNewConnectionForm(FormValidationAction):
    def name(self) -> str:
        return "validate_new_connection_form"

    def validate_address(self, value, dispatcher, tracker, domain):
        return validate_address(spoken_address(value, tracker.latest_message.get("text") or ""), dispatcher)


class ValidateCapacityForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_capacity_form"

    def validate_capacity(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        match = _CAPACITY.search(to_digits(str(value or "")))   # 二十千伏安 too
        kva = float(match.group(1)) if match else 0.0
        if not 1 <= kva <= 2000:
            dispatcher.utter_message(text="请说出需要的容量数值，例如“20千伏安”（1到2000之间）。")
            return {"capacity": None}
        return {"capacity": f"{kva:g}"}


class ValidateTransferForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_transfer_form"

    def validate_new_holder_name(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        name = re.sub(r"^(新户主|户主)?(是|叫|姓名是|名字是)?", "", str(value or "").strip()).strip("。，, ")
        if not _CHINESE_NAME.match(name):
            dispatcher.utter_message(text="请说出新户主的中文姓名，比如“王芳”。")
            return {"new_holder_name": None}
        return {"new_holder_name": name}


class ValidateClosingForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_closing_form"


class ActionAskClosingConfirmed(Action):
    def name(self) -> str:
        return "action_ask_closing_form_confirmed"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(
            text=f"销户后户号{tracker.get_slot('account_no')}将停止供电并结清电费，确认要办理销户吗？",
            buttons=[{"title": "确认销户", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}])
        return []


class ActionSubmitApplication(Action):
    def name(self) -> str:
        return "action_submit_application"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        reset = [SlotSet(s, None) for s in ("pending_request", "confirmed", "capacity", "new_holder_name", "address")]
        form = last_finished_form(tracker)
        customer = current_customer(tracker)
        if form is None or customer is None:
            ask_to_identify_first(dispatcher)
            return reset
        kind, title = FORM_TO_APPLICATION[form]
        if kind == "closing" and not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text="好的，已取消销户。")
            return reset
        operation = APPLICATION_OPERATIONS[kind]
        if not allowed(tracker, operation):   # a face alone: the second factor first (actions/risk.py)
            return reset + start_step_up(operation)
        paused = pause_if_needed(dispatcher, tracker, operation)   # staff first (actions/risk_review.py)
        if paused is not None:
            return paused
        reset += review_done()
        details = {key: str(tracker.get_slot(slot)) for key, slot in
                   (("address", "address"), ("capacity_kva", "capacity"), ("new_holder_name", "new_holder_name"))
                   if tracker.get_slot(slot)}
        account_no = None if kind == "new_connection" else tracker.get_slot("account_no")
        app = business().create_application(kind, customer_id=customer.customer_id, account_no=account_no, details=details)
        dispatcher.utter_message(
            text=f"{title}申请已提交，受理编号{app.application_id}。工作人员会在1个工作日内联系您，请保持电话畅通。",
            json_message=P.Application(app.application_id, kind, app.status, account_no).to_dict())
        return reset


class ActionReportOutage(Action):
    def name(self) -> str:
        return "action_report_outage"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        description = next((e.get("text") for e in reversed(tracker.events)
                            if e.get("event") == "user" and e.get("parse_data", {}).get("intent", {}).get("name") == "report_outage"),
                           None) or "停电报修"
        phone = tracker.get_slot("callback_phone") or (customer.phone if customer else None)
        ticket = business().report_outage(address=tracker.get_slot("address"), phone=phone,
                                          description=description, customer_id=customer.customer_id if customer else None)
        planned = f"该地址处于计划停电范围：{ticket.planned_outage}。" if ticket.planned_outage else ""
        call = f"抢修人员会尽快打{mask_phone(phone)}联系您" if phone else "抢修人员会尽快处理"
        dispatcher.utter_message(
            text=f"已为您登记停电报修，工单号{ticket.ticket_id}，地址：{ticket.address}。{planned}{call}，紧急情况请拨打95598。",
            json_message=P.OutageTicket(ticket.ticket_id, ticket.address, ticket.planned_outage).to_dict())
        # the phone entity also fills the identity form's slot: a callback number must not count as that
        stray = [SlotSet("phone", None)] if customer is None and tracker.get_slot("phone") == phone else []
        return [SlotSet("address", None), SlotSet("callback_phone", None)] + stray


class ActionFileComplaint(Action):
    """A complaint becomes a ticket staff follow up (before: "您的意见我已经记录" and nothing was
    recorded). The customer's own words are kept; a verified customer is called back."""

    def name(self) -> str:
        return "action_file_complaint"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        said = [transcript_text(e) for e in tracker.events if e.get("event") == "user" and e.get("text")]
        text = "\n".join(said[-3:]) or "投诉建议"     # the complaint and what led up to it
        ticket = business().file_complaint(text=text, phone=customer.phone if customer else None,
                                           customer_id=customer.customer_id if customer else None)
        call = f"工作人员会打{mask_phone(customer.phone)}和您联系" if customer and customer.phone else "工作人员会尽快跟进处理"
        dispatcher.utter_message(
            text=f"非常抱歉给您带来不便。您的意见已登记为投诉单，单号{ticket.ticket_id}，{call}。需要我现在请工作人员过来吗？")
        return []


class ActionQueryOutagePlan(Action):
    def name(self) -> str:
        return "action_query_outage_plan"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        where = tracker.get_slot("address")
        if not where and customer:
            accounts = business().accounts_of(customer.customer_id)
            where = accounts[0].address if accounts else None
        place = f"{where}的" if where else ""
        dispatcher.utter_message(text=f"{place}计划停电信息会提前7天在网上国网App、95598网站和小区公告栏发布。"
                                      "如果现在已经停电，可以说“我要报修”，我来为您登记。")
        return []


class ActionExplainSelfService(Action):
    """Tariff change and auto-debit: signed in the app or at the counter; offer staff help."""

    def name(self) -> str:
        return "action_explain_self_service"

    async def run(self, dispatcher, tracker, domain):
        intent = tracker.latest_message.get("intent", {}).get("name")
        what = "峰谷电价" if intent == "change_tariff" else "银行代扣"
        dispatcher.utter_message(
            text=f"{what}可以在网上国网App“办电”栏目自助办理，也可以由工作人员在柜台为您办理。需要我请工作人员来帮您吗？",
            buttons=[{"title": "请工作人员办理", "payload": "/request_human"}, {"title": "不用了", "payload": "/deny"}])
        return [SlotSet("business_type", intent)]
