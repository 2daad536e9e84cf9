"""Process-wide access to the business system and hall services, plus reply formatting."""
from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from decimal import Decimal
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from business.adapter import BusinessError, BusinessSystem, Customer
from hallbot import payloads as P
from identity.id_number import InvalidIdNumber
from identity.id_number import parse as parse_id
from identity.sms import SmsVerifier, default_verifier

log = logging.getLogger(__name__)


@functools.cache
def business() -> BusinessSystem:
    from business.factory import get_business  # imported lazily: the SQL layer is heavy
    return get_business()


@functools.cache
def sms() -> SmsVerifier:
    return default_verifier()


def yuan(amount: Decimal) -> str:
    return f"{Decimal(amount).quantize(Decimal('0.01'))}元"


def honorific(customer: Customer) -> str:
    """张伟 -> 张先生 / 李娜 -> 李女士 (sex from the ID number; full name if unknown)."""
    try:
        sex = parse_id(customer.id_number).sex
    except InvalidIdNumber:
        return customer.name
    return customer.name[0] + ("先生" if sex == "男" else "女士")


def current_customer(tracker: Tracker) -> Customer | None:
    from actions.trust import trusted_customer_id

    customer_id = trusted_customer_id(tracker)
    return business().find_customer(customer_id=customer_id) if customer_id else None


def ask_to_identify_first(dispatcher: CollectingDispatcher, what: str = "办理") -> None:
    """The one reply for a request that needs a confirmed identity, with a button to start it."""
    dispatcher.utter_message(text=f"请先确认身份后再{what}。",
                             buttons=[{"title": "确认身份", "payload": "/verify_identity"}])


def say_business_error(dispatcher: CollectingDispatcher, error: BusinessError) -> None:
    log.warning("business error %s: %s", error.code, error.message)
    dispatcher.utter_message(text=error.message, json_message=P.Error(error.code).to_dict())


def guarded(func: Callable[..., Awaitable[list[dict[str, Any]]]]):
    """Wrap an action's run(): a business-system error becomes a clear reply, never a crash;
    a bug becomes an apology plus a log entry (the conversation goes on)."""

    @functools.wraps(func)
    async def run(self, dispatcher, tracker, domain):
        try:
            return await func(self, dispatcher, tracker, domain)
        except BusinessError as error:
            say_business_error(dispatcher, error)
        except Exception:
            log.exception("action %s failed", self.name())
            dispatcher.utter_message(text="抱歉，系统出了点问题，我已经通知工作人员，请稍候。",
                                     json_message=P.Error("internal").to_dict())
        return []

    return run
