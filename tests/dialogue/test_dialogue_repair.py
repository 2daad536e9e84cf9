"""Conversation repair against the real Rasa: "啊？" repeats the last answer, "算了" cancels what is
under way and says so, "不对，是…" corrects a number while a form is asking."""
from __future__ import annotations

from actions.repair import last_answer


def test_last_answer_is_what_the_bot_said_since_the_previous_message():
    events = [{"event": "user", "text": "你好"}, {"event": "bot", "text": "旧的"},
              {"event": "user", "text": "几点开门"}, {"event": "bot", "text": "8:30", "data": {"buttons": [1]}},
              {"event": "action", "name": "action_listen"}, {"event": "bot", "text": "还有吗"},
              {"event": "user", "text": "啊？"}]
    assert [e["text"] for e in last_answer(events)] == ["8:30", "还有吗"]
    assert last_answer([{"event": "user", "text": "啊？"}]) == []


def test_huh_repeats_the_last_answer_not_the_greeting(hall):
    conversation = hall.conversation()
    answer = conversation.say("营业厅几点开门")
    assert "8:30" in answer.text
    for again in ("啊？", "没听清", "再说一遍"):
        repeated = conversation.say(again)
        assert repeated.text == answer.text, again
        assert "欢迎光临" not in repeated.text


def test_repeat_keeps_the_buttons(hall):
    conversation = hall.conversation()
    greeting = conversation.event("EXTERNAL_face_recognized", customer_id="C000002")
    repeated = conversation.say("你说什么")
    assert repeated.text == greeting.text and repeated.buttons == greeting.buttons


def test_repeat_inside_a_form_asks_its_question_again(hall):
    conversation = hall.conversation()
    asked = conversation.say("我家停电了")
    repeated = conversation.say("啊？没听清")
    assert "地址" in repeated.text and repeated.text.count("地址") == asked.text.count("地址")
    assert conversation.slots()["requested_slot"] == "address"
    assert "电话" in conversation.say("海淀区中关村大街1号院3单元502").text   # the form goes on
    assert "电话" in conversation.say("你说什么").text
    assert conversation.say("13800138006").custom("outage_ticket")


def test_never_mind_cancels_the_form_and_says_so(hall):
    conversation = hall.conversation()
    conversation.say("我家停电了")
    cancelled = conversation.say("算了算了")
    assert "已为您取消" in cancelled.text
    assert conversation.slots()["requested_slot"] is None
    identity = hall.conversation()
    identity.say("我要验证一下身份")
    assert "已取消身份确认" in identity.say("不用了").text
    assert identity.slots()["requested_slot"] is None


def test_correction_replaces_the_account_the_form_took(hall):
    conversation = hall.conversation()
    conversation.say("我要验证一下身份")
    assert "手机" in conversation.say("3100000001").text
    assert conversation.slots()["candidate_customer_id"] == "C000001"
    corrected = conversation.say("不对，是3100000002")
    assert "手机" in corrected.text and "取消" not in corrected.text
    slots = conversation.slots()
    assert slots["identity_key"] == "3100000002" and slots["candidate_customer_id"] == "C000002"
    assert slots["requested_slot"] == "phone"


def test_only_screen_cards_are_drawn_again():
    from actions.repair import resent_card

    ticket = {"type": "outage_ticket", "ticket_id": "T0000000001", "address": "朝阳区建国路88号", "planned_outage": None}
    assert resent_card(ticket) == ticket
    handoff = {"type": "handoff", "customer_id": None, "business_type": "consult", "staff": [], "transcript": []}
    assert resent_card(handoff) is None        # staff must not be called twice by "啊？"
    assert resent_card({"type": "nonsense"}) is None and resent_card("x") is None
