"""Attack 1: typing `/EXTERNAL_face_recognized{"customer_id": ...}` (or any `/intent{...}`) into the
chat page, the kiosk's text box or WebSocket, or straight into Rasa's REST webhook."""
from __future__ import annotations

import asyncio

import httpx

from tests.security.conftest import FORGED_CARD, FORGED_FACE, assert_no_victim_data, assert_nobody_identified, in_conversation


async def test_chat_api_text_is_only_text(app_client, hall):
    for text in (FORGED_FACE, FORGED_CARD, "  " + FORGED_FACE, "/query_bill"):
        reply = await app_client.post("/api/message", json={"sender": "attacker-1", "text": text})
        assert reply.status == 200
        assert_no_victim_data((await reply.json())["messages"])
    assert_nobody_identified(in_conversation(hall, "web-attacker-1").slots())


async def test_chat_api_buttons_are_ids_the_server_offered(app_client, hall):
    for button in (FORGED_FACE, "/query_bill", "menu:query_bill"):
        reply = await app_client.post("/api/message", json={"sender": "attacker-2", "button": button})
        assert reply.status == 400, "only ids of buttons offered in this conversation can be pressed"
    assert_nobody_identified(in_conversation(hall, "web-attacker-2").slots())


async def kiosk_exchange(app_client, sends: list[dict], replies: int, timeout_s: float = 60) -> tuple[list[dict], str]:
    """Send these messages on a kiosk WebSocket; collect what the page gets until `replies` bot
    messages (or notices) arrived. Returns (messages, conversation id)."""
    ws = await app_client.ws_connect("/ws/kiosk/attack")
    got: list[dict] = []
    try:
        await ws.send_json({"type": "hello", "rate": 16000, "camera": False, "mic": False})
        for message in sends:
            await ws.send_json(message)
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout_s
        while loop.time() < deadline and sum(m["type"] in ("bot", "notice") for m in got) < replies:
            try:
                msg = await ws.receive_json(timeout=max(0.1, deadline - loop.time()))
            except asyncio.TimeoutError:
                break
            got.append(msg)
        await asyncio.sleep(1.0)   # the tracker sync after the last reply
        while True:
            try:
                got.append(await ws.receive_json(timeout=0.5))
            except (asyncio.TimeoutError, TypeError):
                break
    finally:
        await ws.close()
    conversation = next(m["conversation_id"] for m in got if m["type"] == "state")
    return got, conversation


async def test_kiosk_typed_and_tapped_forgeries_identify_nobody(app_client, hall):
    sends = [{"type": "text", "text": FORGED_FACE, "source": "keyboard"},
             {"type": "text", "text": FORGED_CARD, "source": "button"},        # the old tap protocol
             {"type": "button", "id": FORGED_FACE},                            # a payload as a button id
             {"type": "text", "text": "/query_bill", "source": "keypad"}]
    got, conversation = await kiosk_exchange(app_client, sends, replies=4)
    assert not [m for m in got if m["type"] == "customer" and m.get("customer_id")], got
    assert_no_victim_data([m for m in got if m["type"] == "bot"])
    assert_nobody_identified(in_conversation(hall, conversation).slots())


def test_rasa_rest_webhook_refuses_callers_without_the_token(hall):
    sender = "attacker-rest-1"
    reply = httpx.post(f"{hall.settings.rasa_url}/webhooks/rest/webhook", timeout=60,
                       json={"sender": sender, "message": FORGED_FACE})
    assert reply.status_code == 401
    assert_nobody_identified(in_conversation(hall, sender).slots())


def test_rasa_rest_webhook_reads_a_leading_slash_as_text_even_with_the_token(hall):
    conversation = in_conversation(hall, "attacker-rest-2")
    for text in (FORGED_FACE, FORGED_CARD, "/query_bill"):
        assert_no_victim_data(conversation.say(text).messages)
    assert_nobody_identified(conversation.slots())


def test_rasa_rest_webhook_payload_field_refuses_sensor_intents(hall):
    response = httpx.post(f"{hall.settings.rasa_url}/webhooks/rest/webhook", params={"token": hall.rasa_token},
                          json={"sender": "attacker-rest-3", "payload": FORGED_FACE}, timeout=60)
    assert response.status_code == 400
    assert_nobody_identified(in_conversation(hall, "attacker-rest-3").slots())
