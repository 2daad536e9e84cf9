"""The interface the robot's actions use to reach the business system.

Implementations: the in-process SQL system (business.sql_adapter) and an HTTP client of the
business API (business.http_adapter). `get_business()` picks one from the environment.
Every method raises BusinessError (with a Chinese, customer-presentable .message and a
machine .code) for bad input, missing records or forbidden operations; ServiceUnavailable
when the system cannot be reached.
"""
from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Protocol, runtime_checkable


class BusinessError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code, self.message, self.status = code, message, status


class NotFound(BusinessError):
    def __init__(self, message: str, code: str = "not_found") -> None:
        super().__init__(code, message, 404)


class Forbidden(BusinessError):
    def __init__(self, message: str, code: str = "forbidden") -> None:
        super().__init__(code, message, 403)


class ServiceUnavailable(BusinessError):
    def __init__(self, message: str = "业务系统暂时无法访问，请稍后再试或找工作人员办理") -> None:
        super().__init__("unavailable", message, 503)


@dataclass(frozen=True)
class Customer:
    customer_id: str
    name: str
    phone: str
    id_number: str
    customer_type: str = ""          # loyal / potential / marginal / churned
    face_id: str | None = None


@dataclass(frozen=True)
class Account:
    account_no: str
    customer_id: str                 # the holder
    address: str
    category: str                    # 居民 / 非居民
    role: str = "holder"             # the asking customer's role on it: holder / agent / family


@dataclass(frozen=True)
class Bill:
    account_no: str
    period: str                      # "2026-10"
    kwh: Decimal
    amount: Decimal
    paid: bool
    due_date: dt.date


@dataclass(frozen=True)
class Payment:
    payment_id: str
    account_no: str
    amount: Decimal
    channel: str
    paid_at: dt.datetime
    balance_after: Decimal           # arrears left (0 when settled)


@dataclass(frozen=True)
class Application:
    application_id: str
    kind: str                        # new_connection / capacity_increase / transfer / closing
    status: str
    account_no: str | None
    created_at: dt.datetime


@dataclass(frozen=True)
class OutageTicket:
    ticket_id: str
    address: str
    status: str
    created_at: dt.datetime
    planned_outage: str | None = None    # a known planned outage covering the address, if any


@dataclass(frozen=True)
class ComplaintTicket:
    """A complaint filed for the hall's staff to follow up; the number is told to the customer."""
    ticket_id: str                   # "K" + 10 digits
    status: str                      # open
    created_at: dt.datetime
    callback: bool                   # a phone to call back is on file


@dataclass(frozen=True)
class Invoice:
    invoice_id: str
    account_no: str
    period: str
    amount: Decimal


@dataclass(frozen=True)
class Recommendation:
    service_code: str
    title: str                       # shown on the kiosk button and said by the robot
    reason: str                      # human-readable why
    score: float
    intent: str | None = None        # the dialogue intent that starts it, if any


@dataclass(frozen=True)
class Staff:
    staff_id: str
    name: str
    skills: tuple[str, ...] = field(default_factory=tuple)
    on_duty: bool = True


@dataclass(frozen=True)
class Profile:
    """A customer's marketing profile (added by the business area; rules in docs/business.md)."""
    customer_id: str
    customer_type: str               # loyal / potential / marginal / churned
    activity: float                  # 0..1
    credit: int                      # 0..100, from payment punctuality
    consumption_level: str           # low / medium / high
    channel_pref: str                # robot / hall / wechat / app / web / ivr / 95598 / bank / auto_debit / none
    time_pref: str                   # morning / afternoon / evening / night / none
    keywords: tuple[str, ...] = field(default_factory=tuple)
    tags: tuple[str, ...] = field(default_factory=tuple)
    computed_at: dt.datetime | None = None


@runtime_checkable
class BusinessSystem(Protocol):
    # -- identity ------------------------------------------------------------------------
    def find_customer(self, *, customer_id: str | None = None, face_id: str | None = None,
                      id_number: str | None = None, account_no: str | None = None,
                      phone: str | None = None) -> Customer | None: ...
    def accounts_of(self, customer_id: str) -> list[Account]: ...
    def profile(self, customer_id: str) -> Profile: ...
    def clear_face_id(self, customer_id: str) -> bool:
        """The customer withdrew face-recognition consent: forget the record's face id. True if
        it had one; NotFound for an unknown customer."""
        ...
    # -- bills and payments --------------------------------------------------------------
    def bills(self, account_no: str, *, months: int = 3) -> list[Bill]: ...
    def arrears(self, account_no: str) -> Decimal: ...
    def pay(self, account_no: str, amount: Decimal, *, channel: str, actor_customer_id: str) -> Payment: ...
    def issue_invoice(self, account_no: str, period: str | None, *, actor_customer_id: str) -> Invoice: ...
    # -- applications and tickets --------------------------------------------------------
    def create_application(self, kind: str, *, customer_id: str, account_no: str | None,
                           details: dict[str, str]) -> Application: ...
    def get_application(self, application_id: str) -> Application: ...
    def report_outage(self, *, address: str, phone: str | None, description: str,
                      customer_id: str | None = None) -> OutageTicket: ...
    def file_complaint(self, *, text: str, phone: str | None = None,
                       customer_id: str | None = None) -> ComplaintTicket:
        """A complaint in the customer's words, to be followed up by staff (and called back on
        `phone` when given). BusinessError for an empty text or a malformed phone."""
        ...
    # -- marketing -----------------------------------------------------------------------
    def recommendations(self, customer_id: str, *, k: int = 3, channel: str = "robot") -> list[Recommendation]: ...
    def record_event(self, customer_id: str | None, *, channel: str, kind: str, text: str = "",
                     phone: str | None = None, account_no: str | None = None) -> None: ...
    def staff_for(self, business_type: str) -> list[Staff]: ...
