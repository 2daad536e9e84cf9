"""Input checks shared by the SQL system and the HTTP API: each raises BusinessError with a
short Chinese message the robot can say as it is."""
from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from business.adapter import BusinessError
from business.catalogue import APPLICATION_KINDS, BUSINESS_ALIASES, BUSINESS_TYPES, CHANNELS, EVENT_CHANNELS
from identity import account_number, id_number

MAX_PAYMENT = Decimal("100000.00")
_PERIOD = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
_KIND = re.compile(r"^[a-z][a-z0-9_]{0,31}$")


def account_no(raw: object) -> str:
    try:
        return account_number.parse_account_no(str(raw))
    except account_number.InvalidNumber as exc:
        raise BusinessError("invalid_account_no", exc.reason) from None


def phone(raw: object) -> str:
    try:
        return account_number.parse_phone(str(raw))
    except account_number.InvalidNumber as exc:
        raise BusinessError("invalid_phone", exc.reason) from None


def id_no(raw: object) -> str:
    try:
        return id_number.parse(str(raw)).value
    except id_number.InvalidIdNumber as exc:
        raise BusinessError("invalid_id_number", exc.reason) from None


def amount(raw: object) -> Decimal:
    try:
        value = Decimal(str(raw).strip())
    except (InvalidOperation, ValueError):
        raise BusinessError("invalid_amount", "缴费金额格式不正确") from None
    if not value.is_finite() or value <= 0:
        raise BusinessError("invalid_amount", "缴费金额应大于0")
    if value != value.quantize(Decimal("0.01")):
        raise BusinessError("invalid_amount", "缴费金额最多保留两位小数")
    if value > MAX_PAYMENT:
        raise BusinessError("amount_too_large", "单笔缴费金额不能超过10万元，请到柜台办理")
    return value.quantize(Decimal("0.01"))


def period(raw: object) -> str:
    value = str(raw).strip()
    # a real month of a plausible year: "0000-01" matched the pattern and broke date arithmetic (a 500)
    if not _PERIOD.match(value) or not 1900 <= int(value[:4]) <= 2999:
        raise BusinessError("invalid_period", "账期格式应为“年-月”，例如2026-10")
    return value


def months(raw: object, limit: int = 36) -> int:
    try:
        value = int(raw)  # type: ignore[call-overload]  # any input: bad ones raise below
    except (TypeError, ValueError):
        raise BusinessError("invalid_months", "查询月数应为数字") from None
    if not 1 <= value <= limit:
        raise BusinessError("invalid_months", f"最多可查询近{limit}个月的账单")
    return value


def pay_channel(raw: object) -> str:
    if raw not in CHANNELS:
        raise BusinessError("invalid_channel", "不支持的缴费渠道")
    return str(raw)


def event_channel(raw: object) -> str:
    if raw not in EVENT_CHANNELS:
        raise BusinessError("invalid_channel", "不支持的服务渠道")
    return str(raw)


def event_kind(raw: object) -> str:
    if not isinstance(raw, str) or not _KIND.match(raw):
        raise BusinessError("invalid_kind", "事件类型格式不正确")
    return raw


def application_kind(raw: object) -> str:
    if raw not in APPLICATION_KINDS:
        raise BusinessError("invalid_kind", "不支持的业务类型，可办理：新装、增容、过户、销户")
    return str(raw)


def business_type(raw: object) -> str:
    value = BUSINESS_ALIASES.get(str(raw), str(raw))
    if value not in BUSINESS_TYPES:
        raise BusinessError("invalid_business_type", "不支持的业务类型")
    return value


def text(raw: object, limit: int, what: str) -> str:
    value = "" if raw is None else str(raw).strip()
    if len(value) > limit:
        raise BusinessError("too_long", f"{what}太长了，请控制在{limit}个字以内")
    return value


def k(raw: object) -> int:
    try:
        value = int(raw)  # type: ignore[call-overload]  # any input: bad ones raise below
    except (TypeError, ValueError):
        raise BusinessError("invalid_k", "推荐数量应为数字") from None
    if not 1 <= value <= 10:
        raise BusinessError("invalid_k", "推荐数量应在1到10之间")
    return value


def details(raw: object) -> dict[str, str]:
    if raw is None:
        return {}
    if not isinstance(raw, dict):
        raise BusinessError("invalid_details", "申请信息格式不正确")
    out = {}
    for key, value in raw.items():
        if not isinstance(key, str) or len(key) > 40:
            raise BusinessError("invalid_details", "申请信息格式不正确")
        out[key] = text(value, 200, "申请信息")
    return out
