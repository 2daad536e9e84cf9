"""Bills, arrears, payment and invoices for the identified customer."""
from __future__ import annotations

import datetime as dt
from typing import Any

from rasa_sdk import Action, FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions.risk import allowed
from actions.risk_review import done as review_done
from actions.risk_review import pause_if_needed
from actions.services import ask_to_identify_first, business, current_customer, guarded, yuan
from actions.step_up import start_step_up
from actions.trust import trusted_customer_id
from business import clock
from business.adapter import Account, Bill
from hallbot import payloads as P
from identity.account_number import InvalidNumber, parse_account_no


def _not_identified(dispatcher: CollectingDispatcher) -> list:
    ask_to_identify_first(dispatcher)
    return []


def period_of(value: str | None, today: dt.date | None = None) -> str | None:
    """'last_month' / 'this_month' / '10月' / '2026-10' -> 'YYYY-MM' (None = latest)."""
    if not value:
        return None
    today = today or clock.today()   # the business system's day: 'last month' means its last month
    if value == "this_month":
        return f"{today:%Y-%m}"
    if value == "last_month":
        first = today.replace(day=1) - dt.timedelta(days=1)
        return f"{first:%Y-%m}"
    digits = "".join(ch if ch.isdigit() else " " for ch in value).split()
    if len(digits) == 2 and len(digits[0]) == 4:
        return f"{digits[0]}-{int(digits[1]):02d}"
    if len(digits) == 1 and 1 <= int(digits[0]) <= 12:
        month = int(digits[0])
        year = today.year if month <= today.month else today.year - 1
        return f"{year}-{month:02d}"
    return None


def describe_bill(bill: Bill) -> str:
    year, month = bill.period.split("-")
    state = "已缴清" if bill.paid else f"未缴，缴费截止日{bill.due_date:%m月%d日}"
    return f"{year}年{int(month)}月用电{bill.kwh.normalize():f}度，电费{yuan(bill.amount)}，{state}"


def accounts_in_question(tracker: Tracker, accounts: list[Account]) -> list[Account]:
    wanted = tracker.get_slot("account_no")
    chosen = [a for a in accounts if a.account_no == wanted]
    return chosen or accounts


class ActionQueryBill(Action):
    def name(self) -> str:
        return "action_query_bill"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            return _not_identified(dispatcher)
        period = period_of(tracker.get_slot("period"))
        lines, bills_out = [], []
        for account in accounts_in_question(tracker, business().accounts_of(customer.customer_id)):
            bills = business().bills(account.account_no, months=12 if period else 1)
            if period:
                bills = [b for b in bills if b.period == period]
            if not bills:
                lines.append(f"户号{account.account_no}没有{period or '近期'}的账单")
                continue
            lines.append(f"户号{account.account_no}：{describe_bill(bills[0])}")
            bills_out.append(P.BillLine(account.account_no, bills[0].period, str(bills[0].kwh), str(bills[0].amount),
                                        bills[0].paid))
        if not lines:
            dispatcher.utter_message(text="您名下没有用电户号。")
        else:
            dispatcher.utter_message(text="。".join(lines) + "。", json_message=P.Bills(tuple(bills_out)).to_dict())
        business().record_event(customer.customer_id, channel="robot", kind="query_bill")
        return [SlotSet("pending_request", None), SlotSet("period", None)]


class ActionQueryArrears(Action):
    def name(self) -> str:
        return "action_query_arrears"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            return _not_identified(dispatcher)
        owing = [(a, business().arrears(a.account_no)) for a in business().accounts_of(customer.customer_id)]
        owing = [(a, amount) for a, amount in owing if amount > 0]
        if not owing:
            dispatcher.utter_message(text="您名下所有户号都没有欠费。")
        else:
            text = "；".join(f"户号{a.account_no}欠费{yuan(amount)}" for a, amount in owing)
            dispatcher.utter_message(text=f"{text}。需要现在缴费吗？", buttons=[{"title": "现在缴费", "payload": "/pay_bill"}],
                                     json_message=P.Arrears(tuple(P.ArrearsItem(a.account_no, str(amount))
                                                                  for a, amount in owing)).to_dict())
        business().record_event(customer.customer_id, channel="robot", kind="query_arrears")
        return [SlotSet("pending_request", None), SlotSet("offered_service", "pay_bill" if owing else None)]


class AccountFormValidation(FormValidationAction):
    """Shared account-number handling of the forms that act on one of the customer's accounts."""

    def name(self) -> str:  # abstract: rasa_sdk registers only subclasses with a real name
        return "validate_account_form_base"

    def default_account(self, customer_id: str) -> str | None:
        accounts = business().accounts_of(customer_id)
        return accounts[0].account_no if len(accounts) == 1 else None

    async def extract_account_no(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                                 domain: DomainDict) -> dict[str, Any]:
        customer_id = trusted_customer_id(tracker)
        if tracker.get_slot("account_no") or not customer_id:
            return {}
        default = self.default_account(customer_id)
        return {"account_no": default} if default else {}

    def validate_account_no(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                            domain: DomainDict) -> dict[str, Any]:
        try:
            account_no = parse_account_no(str(value or ""))
        except InvalidNumber as error:
            dispatcher.utter_message(text=f"{error.reason}，请重新说一下户号。")
            return {"account_no": None}
        mine = {a.account_no for a in business().accounts_of(trusted_customer_id(tracker) or "")}
        if account_no not in mine:
            listed = "、".join(sorted(mine)) or "无"
            dispatcher.utter_message(text=f"户号{account_no}不在您的名下。您名下的户号：{listed}。")
            return {"account_no": None}
        return {"account_no": account_no}


class ValidatePaymentForm(AccountFormValidation):
    def name(self) -> str:
        return "validate_payment_form"

    def default_account(self, customer_id: str) -> str | None:
        """With several accounts, the only one in arrears is the obvious choice."""
        accounts = business().accounts_of(customer_id)
        owing = [a.account_no for a in accounts if business().arrears(a.account_no) > 0]
        if len(owing) == 1:
            return owing[0]
        return accounts[0].account_no if len(accounts) == 1 else None

    def validate_account_no(self, value, dispatcher, tracker, domain):
        result = super().validate_account_no(value, dispatcher, tracker, domain)
        if result["account_no"] and business().arrears(result["account_no"]) <= 0:
            result["confirmed"] = False  # nothing to pay: skip the question, action_pay_bill says so
        return result


class ActionAskPaymentConfirmed(Action):
    def name(self) -> str:
        return "action_ask_payment_form_confirmed"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        account_no = tracker.get_slot("account_no")
        amount = business().arrears(account_no)
        dispatcher.utter_message(text=f"户号{account_no}当前应缴{yuan(amount)}，确认缴纳吗？",
                                 buttons=[{"title": "确认缴费", "payload": "/affirm"}, {"title": "取消", "payload": "/deny"}],
                                 json_message=P.ConfirmPayment(account_no, str(amount)).to_dict())
        return []


class ActionPayBill(Action):
    def name(self) -> str:
        return "action_pay_bill"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        reset = [SlotSet("confirmed", None), SlotSet("pending_request", None), SlotSet("amount", None)]
        if customer is None:
            return _not_identified(dispatcher) + reset
        account_no = tracker.get_slot("account_no")
        owed = business().arrears(account_no)
        if owed <= 0:
            dispatcher.utter_message(text=f"户号{account_no}目前没有欠费，无需缴费。")
            return reset
        if not tracker.get_slot("confirmed"):
            dispatcher.utter_message(text="好的，已取消缴费。")
            return reset
        if not allowed(tracker, "pay_bill"):   # a face alone: the second factor first (actions/risk.py)
            return reset + start_step_up("pay_bill")
        paused = pause_if_needed(dispatcher, tracker, "pay_bill", owed)   # staff first (actions/risk_review.py)
        if paused is not None:
            return paused
        reset += review_done()
        payment = business().pay(account_no, owed, channel="robot", actor_customer_id=customer.customer_id)
        left = "已全部结清" if payment.balance_after <= 0 else f"尚欠{yuan(payment.balance_after)}"
        dispatcher.utter_message(
            text=f"缴费成功：户号{account_no}缴纳{yuan(payment.amount)}，{left}。需要打印发票吗？",
            buttons=[{"title": "打印发票", "payload": "/print_invoice"}, {"title": "不用了", "payload": "/deny"}],
            json_message=P.Payment(payment.payment_id, account_no, str(payment.amount),
                                   str(payment.balance_after)).to_dict())
        return reset


class ActionPrintInvoice(Action):
    def name(self) -> str:
        return "action_print_invoice"

    @guarded
    async def run(self, dispatcher, tracker, domain):
        customer = current_customer(tracker)
        if customer is None:
            return _not_identified(dispatcher)
        accounts = accounts_in_question(tracker, business().accounts_of(customer.customer_id))
        if len(accounts) > 1 and not tracker.get_slot("account_no"):
            dispatcher.utter_message(text="您名下有多个户号，请问打印哪个户号的发票？",
                                     buttons=[{"title": a.account_no, "payload": f'/print_invoice{{"account_no": "{a.account_no}"}}'}
                                              for a in accounts])
            return [SlotSet("pending_request", None)]
        invoice = business().issue_invoice(accounts[0].account_no, period_of(tracker.get_slot("period")),
                                           actor_customer_id=customer.customer_id)
        year, month = invoice.period.split("-")
        dispatcher.utter_message(
            text=f"户号{invoice.account_no}{year}年{int(month)}月的电费发票已开具，金额{yuan(invoice.amount)}，请在屏幕下方出票口取走。",
            json_message=P.Invoice(invoice.invoice_id, invoice.account_no, invoice.period,
                                   str(invoice.amount)).to_dict())
        return [SlotSet("pending_request", None), SlotSet("period", None)]

