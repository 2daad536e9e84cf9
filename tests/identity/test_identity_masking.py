"""The one masking rule: ID numbers, phones and account numbers keep their last 4 digits, SMS codes
are hidden, inside free text too; amounts, dates and ids of kiosks/customers stay readable."""
from __future__ import annotations

import pytest

from identity.masking import mask_code, mask_for_slot, mask_id_number, mask_phone, mask_text


def test_numbers_keep_their_last_four_digits_and_codes_nothing():
    assert mask_id_number("11010519491231002X") == "**************002X"
    assert mask_phone("13800138002") == "*******8002"
    assert mask_code("123456") == "******"


@pytest.mark.parametrize("text, masked", [
    ("我的身份证号是11010519491231002X", "我的身份证号是**************002X"),
    ("手机13800138002，验证码123456", "手机*******8002，验证码******"),
    ("户号3100000002", "户号******0002"),
    ("欠费286.50元，K1，C000001，2026-11-24，1200元", "欠费286.50元，K1，C000001，2026-11-24，1200元"),
])
def test_free_text_is_masked(text, masked):
    assert mask_text(text) == masked


def test_keypad_entries_by_slot():
    assert mask_for_slot("sms_code", "123456") == "******"
    assert mask_for_slot("phone", "13800138002") == "*******8002"
    assert mask_for_slot("identity_key", "3100000002") == "******0002"
    assert mask_for_slot(None, "3100000002") == "******0002"
