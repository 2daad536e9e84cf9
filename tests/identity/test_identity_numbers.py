"""GB 11643-1999 ID numbers, account numbers, phone numbers."""
from __future__ import annotations

import datetime as dt

import pytest

from identity import id_number
from identity.account_number import InvalidNumber, mask_phone, parse_account_no, parse_phone


def test_valid_id_number_parses_with_birth_date_and_sex():
    parsed = id_number.parse("110101198503071235")
    assert parsed.birth_date == dt.date(1985, 3, 7)
    assert parsed.sex == "男"
    assert parsed.masked == "**************1235"


def test_id_number_with_x_check_character_and_spacing():
    value = next(v for v in (id_number.make("320102", dt.date(1990, 1, 2), s) for s in range(1, 999)) if v.endswith("X"))
    spaced = f"{value[:6]} {value[6:14]} {value[14:].lower()}"
    assert id_number.parse(spaced).value == value


@pytest.mark.parametrize("raw, code", [
    ("110101198503071234", "checksum"),
    ("11010119850307123", "length"),
    ("1101011985030712345", "length"),
    ("11010119850307123A", "characters"),
    ("990101198503071238", "region"),
    ("110101198502301234", "birth_date"),
    ("110101" + "2999" + "0101" + "123" + "0", "birth_date"),
])
def test_invalid_id_numbers_say_why(raw, code):
    if code == "birth_date" and raw.startswith("1101012999"):
        raw = raw[:17] + id_number.check_char(raw[:17])
    with pytest.raises(id_number.InvalidIdNumber) as error:
        id_number.parse(raw)
    assert error.value.code == code
    assert error.value.reason  # a Chinese sentence for the customer


def test_full_width_digits_are_accepted():
    assert id_number.parse("１１０１０１１９８５０３０７１２３５").value == "110101198503071235"


def test_account_numbers_and_phones():
    assert parse_account_no("3100 000 001") == "3100000001"
    with pytest.raises(InvalidNumber, match="10位"):
        parse_account_no("31000001")
    assert parse_phone("+86 138-0013-8001") == "13800138001"
    with pytest.raises(InvalidNumber):
        parse_phone("12345678901")
    assert mask_phone("13800138001") == "*******8001"
