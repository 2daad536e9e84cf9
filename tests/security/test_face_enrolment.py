"""Attack 7: storing a face under someone else. After a forged identity (attack 1), or with a real
face match alone, "登记人脸" + "同意" must not make the app store the camera's face."""
from __future__ import annotations

from tests.dialogue.test_dialogue_conversations import verify_manually
from tests.security.conftest import FORGED_FACE, VICTIM_ID, assert_nobody_identified, in_conversation


def enrolment_orders(messages: list[dict]) -> list[dict]:
    return [m["custom"] for m in messages if (m.get("custom") or {}).get("type") == "face_enrolment"]


async def test_forged_identity_cannot_enrol_a_face(app_client, hall):
    messages = []
    for text in (FORGED_FACE, "/enrol_face", "/affirm", "我要登记人脸", "同意"):
        reply = await app_client.post("/api/message", json={"sender": "attacker-enrol", "text": text})
        messages += (await reply.json())["messages"]
    assert not enrolment_orders(messages), messages
    assert_nobody_identified(in_conversation(hall, "web-attacker-enrol").slots())


def test_a_face_match_alone_is_not_enough_to_enrol_a_face(hall):
    conversation = hall.conversation()
    assert "张先生" in conversation.event("EXTERNAL_face_recognized", customer_id=VICTIM_ID).text
    asked = conversation.say("我要登记人脸")
    answered = conversation.say("同意")
    assert not enrolment_orders(asked.messages + answered.messages)
    assert "再核验" in asked.text + answered.text


def test_enrolment_after_an_sms_code_in_this_visit_is_ordered(hall):
    """The control: a second factor from this visit lets the customer enrol."""
    customer = hall.walk_in(2)
    conversation = hall.conversation()
    asked = conversation.say("我要登记人脸")
    assert "身份" in asked.text
    confirmed = verify_manually(hall, conversation, customer.id_number, customer.phone)
    assert "同意" in confirmed.text
    orders = enrolment_orders(conversation.say("同意").messages)
    assert orders and orders[0]["customer_id"] == customer.customer_id
