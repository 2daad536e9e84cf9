"""Electricity account numbers (用电户号) and mobile phone numbers."""
from __future__ import annotations

import re

from identity import masking
from identity.spoken_numbers import to_digits

ACCOUNT_NO_LENGTH = 10
_PHONE = re.compile(r"^1[3-9]\d{9}$")


class InvalidNumber(ValueError):
    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def digits_only(raw: str) -> str:
    text = to_digits(raw)   # 幺二零..., full-width digits, groups read with pauses
    return re.sub(r"[\s\-]", "", text)


def parse_account_no(raw: str) -> str:
    value = digits_only(raw)
    if not value.isdigit():
        raise InvalidNumber("用电户号只包含数字", "characters")
    if len(value) != ACCOUNT_NO_LENGTH:
        raise InvalidNumber(f"用电户号应为{ACCOUNT_NO_LENGTH}位数字，您输入的是{len(value)}位", "length")
    return value


def parse_phone(raw: str) -> str:
    value = digits_only(raw)
    if value.startswith("+86"):
        value = value[3:]
    elif value.startswith("86") and len(value) == 13:
        value = value[2:]
    if not _PHONE.match(value):
        raise InvalidNumber("手机号应为1开头的11位数字", "phone")
    return value


def mask_phone(phone: str) -> str:
    return masking.mask_phone(phone)    # the one masking rule (last 4 digits)
