"""The text chat's digits press buttons only when the last reply offered them (before: "1" after a
bill reply without buttons went to NLU and came back as "您是想提供户号吗？")."""
from __future__ import annotations

from bot.chat import pick

BUTTONS = [{"title": "立即缴纳电费", "payload": "/pay_bill"}, {"title": "查询电费账单", "payload": "/query_bill"}]


def test_a_digit_presses_the_button_it_numbers():
    assert pick("2", BUTTONS) == ("press", "/query_bill")
    assert pick(" 1 ", BUTTONS) == ("press", "/pay_bill")


def test_a_lone_digit_without_buttons_is_not_sent():
    action, why = pick("1", [])
    assert action == "hint" and "没有按钮" in why


def test_a_digit_beyond_the_buttons_is_explained():
    action, why = pick("5", BUTTONS)
    assert action == "hint" and "1到2" in why


def test_numbers_that_are_answers_and_words_are_sent():
    assert pick("3100000002", []) == ("send", "3100000002")
    assert pick("80", []) == ("send", "80")
    assert pick("查电费", BUTTONS) == ("send", "查电费")
