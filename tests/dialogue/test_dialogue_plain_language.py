"""No internal name reaches a person: the checker itself, and the conversations that leaked before
(handoff after a face greeting, staff-only recommendations). Every other dialogue test's replies are
checked too, by the autouse fixture in conftest.py."""
from __future__ import annotations

import pytest

from tests.plain_language import internal_names, leaks


@pytest.mark.parametrize("text", [
    "好的，已通知工作人员陈静，马上过来为您办理consult，请稍候。", "EXTERNAL: EXTERNAL_face_recognized",
    "/request_human", '/request_human{"business_type":"outage_notice"}', "您是想query_bill吗？",
    "{customer_name}，您好！"])
def test_codes_are_found(text):
    assert internal_names(text)


@pytest.mark.parametrize("text", [
    "可以用网上国网App缴费", "请问需要增加到多大容量？比如“20千伏安”或80kVA。", "报修单号T0000000012已受理",
    "已向*******8002发送验证码", "营业时间 8:30-17:30，热线95598", "和/或"])
def test_plain_chinese_passes(text):
    assert internal_names(text) == []


def test_handoff_after_face_greeting_names_no_code(hall):
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000001")
    conversation.press("/query_bill")
    reply = conversation.say("我要转人工")
    assert leaks(reply.messages) == []
    transcript = [line["text"] for line in reply.custom("handoff")["transcript"]]
    assert "（摄像头：刷脸识别出客户）" in transcript
    assert "（点击按钮：查询电费）" in transcript


def test_staff_only_recommendation_names_its_service(hall):
    conversation = hall.conversation()
    conversation.event("EXTERNAL_face_recognized", customer_id="C000001")
    conversation.press("/query_bill")    # an earlier business must not be the one named
    reply = conversation.press('/request_human{"business_type":"outage_notice"}')
    assert "订阅停电通知" in reply.text and "查询电费" not in reply.text
    assert leaks(reply.messages) == []


def test_recommendation_buttons_are_dialogue_intents_or_named_staff_services(hall):
    import yaml

    from hallbot.settings import ROOT

    intents = set(yaml.safe_load((ROOT / "domain.yml").read_text(encoding="utf-8"))["intents"])
    for customer_id in ("C000001", "C000002", "C000003", *(hall.walk_in(i).customer_id for i in range(6))):
        reply = hall.conversation().event("EXTERNAL_face_recognized", customer_id=customer_id)
        for button in reply.buttons:
            intent = button["payload"].lstrip("/").split("{")[0]
            assert intent in intents, button
            if intent == "request_human":
                assert "工作人员" in button["title"] and "business_type" in button["payload"], button
