"""Resident identity card numbers (GB 11643-1999): 6-digit region, 8-digit birth date,
3-digit sequence (odd = male), 1 check character (ISO 7064 MOD 11-2)."""
from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from identity.masking import mask_id_number
from identity.spoken_numbers import to_digits

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
# Province-level prefixes of GB/T 2260 (the full county table changes yearly; the province is stable).
PROVINCE_CODES = {
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37",
    "41", "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64",
    "65", "71", "81", "82",
}
_SHAPE = re.compile(r"^\d{17}[\dX]$")


class InvalidIdNumber(ValueError):
    """The number is not a valid 18-character resident ID number; .reason says why (in Chinese)."""

    def __init__(self, reason: str, code: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


@dataclass(frozen=True)
class IdNumber:
    value: str
    region: str
    birth_date: dt.date
    sex: str  # "男" / "女"

    @property
    def masked(self) -> str:
        return mask_id_number(self.value)    # the one masking rule (last 4 characters)


def normalize(raw: str) -> str:
    """Strip spaces/dashes, upper-case x, turn full-width digits and number words (幺一零...叉) into ASCII."""
    text = to_digits(raw).translate(str.maketrans("０１２３４５６７８９ｘＸ", "0123456789XX"))
    return re.sub(r"[\s\-]", "", text).upper()


def check_char(first17: str) -> str:
    return CHECK_CHARS[sum(int(c) * w for c, w in zip(first17, WEIGHTS)) % 11]


def parse(raw: str, today: dt.date | None = None) -> IdNumber:
    value = normalize(raw)
    if len(value) != 18:
        raise InvalidIdNumber(f"身份证号应为18位，您输入的是{len(value)}位", "length")
    if not _SHAPE.match(value):
        raise InvalidIdNumber("身份证号前17位应为数字，最后一位为数字或X", "characters")
    if value[:2] not in PROVINCE_CODES:
        raise InvalidIdNumber("身份证号的地区码不正确", "region")
    try:
        birth = dt.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise InvalidIdNumber("身份证号中的出生日期不正确", "birth_date") from None
    today = today or dt.date.today()
    if birth > today or birth.year < 1900:
        raise InvalidIdNumber("身份证号中的出生日期不正确", "birth_date")
    if check_char(value[:17]) != value[17]:
        raise InvalidIdNumber("身份证号校验位不正确，请核对后重新输入", "checksum")
    return IdNumber(value, value[:6], birth, "男" if int(value[16]) % 2 else "女")


def is_valid(raw: str) -> bool:
    try:
        parse(raw)
    except InvalidIdNumber:
        return False
    return True


def make(region: str, birth: dt.date, sequence: int) -> str:
    """Build a valid number (for demo data and tests)."""
    first17 = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first17 + check_char(first17)
