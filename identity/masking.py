"""One masking rule for private numbers wherever they leave the dialogue: logs, the staff console,
the kiosk screen and the SMS outbox. ID numbers, phones and account numbers keep their last 4
digits (enough for a customer or staff member to recognise them); SMS codes are hidden entirely.

`mask_text` finds such numbers inside free text (a transcript line, a message being logged):
a run of 7 or more digits (an 18-character ID number may end in X) keeps its last 4, a run of
exactly 6 digits (an SMS code's shape) is hidden. Shorter numbers (amounts, dates, kiosk ids)
and decimals stay as they are."""
from __future__ import annotations

import re
from collections.abc import Callable

STAR = "*"
KEEP = 4
SMS_CODE_LENGTH = 6
# Digits not glued to other digits, a decimal point or an ASCII letter (K1, C000001, 286.50 stay).
_NUMBER = re.compile(r"(?<![\dA-Za-z.])(\d{6,}[Xx]?)(?![\dA-Za-z]|\.\d)")
_SLOTS_HIDDEN = {"sms_code"}
_SLOTS_KEEP_LAST = {"identity_key", "id_number", "phone", "account_no"}


def mask_number(value: str, keep: int = KEEP) -> str:
    """`value` with all but its last `keep` characters starred; short values are starred entirely."""
    value = str(value or "")
    if len(value) <= keep:
        return STAR * len(value)
    return STAR * (len(value) - keep) + value[-keep:]


def mask_id_number(value: str) -> str:
    return mask_number(value)


def mask_phone(value: str) -> str:
    return mask_number(value)


def mask_account_no(value: str) -> str:
    return mask_number(value)


def mask_code(value: str) -> str:
    """SMS one-time codes: nothing of them is shown (even the last digits shorten a guess)."""
    return STAR * len(str(value or ""))


def _mask_match(match: re.Match[str]) -> str:
    number = match.group(1)
    if len(number) == SMS_CODE_LENGTH and number.isdigit():
        return mask_code(number)
    return mask_number(number)


def mask_text(text: str) -> str:
    """Free text with every ID number, phone, account number and SMS code in it masked."""
    return _NUMBER.sub(_mask_match, str(text or ""))


def sub_numbers(text: str, replace: Callable[[str], str]) -> str:
    """`text` with each number of a private shape (the ones mask_text masks) replaced by `replace(number)`."""
    return _NUMBER.sub(lambda match: replace(match.group(1)), str(text or ""))


def mask_for_slot(slot: str | None, value: str) -> str:
    """What the kiosk shows after a keypad entry for `slot` (the form slot being asked)."""
    if slot in _SLOTS_HIDDEN:
        return mask_code(value)
    if slot in _SLOTS_KEEP_LAST:
        return mask_number(value)
    return mask_text(value)
