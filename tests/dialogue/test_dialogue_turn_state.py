"""One answer per kiosk turn: the hall channel, asked `with_state`, returns the replies and the
conversation's state after them (what GET /tracker gave, without the second call), and the
kiosk's calls read it; other callers still get the stock list of messages."""
from __future__ import annotations

import uuid

import httpx

from bot.rasa_client import Turn


def _post(hall, body: dict) -> httpx.Response:
    return httpx.post(f"{hall.settings.rasa_url}/webhooks/rest/webhook", params={"token": hall.rasa_token},
                      json=body, timeout=60)


def test_with_state_the_answer_carries_the_tracker_as_get_tracker_gives_it(hall):
    sender = f"turn-state-{uuid.uuid4().hex[:8]}"
    answer = _post(hall, {"sender": sender, "message": "我要交电费", "with_state": True}).json()
    assert isinstance(answer, dict) and answer["messages"], answer
    fetched = httpx.get(f"{hall.settings.rasa_url}/conversations/{sender}/tracker",
                        params={"token": hall.rasa_token, "include_events": "NONE"}, timeout=60).json()
    state = answer["tracker"]
    assert state["sender_id"] == sender
    assert state["active_loop"] == fetched["active_loop"] and state["active_loop"].get("name") == "identity_form"
    assert state["slots"] == fetched["slots"] and state["slots"]["requested_slot"] == "identity_key"
    # without the flag: the stock channel's list, as the chat page and the console read it
    plain = _post(hall, {"sender": f"{sender}-plain", "message": "你好"}).json()
    assert isinstance(plain, list) and plain and "text" in plain[0]


async def test_the_kiosk_calls_return_messages_and_state_in_one_call(hall):
    client = hall.rasa_client()
    calls: list[str] = []

    async def count(request: httpx.Request) -> None:
        calls.append(request.url.path)
    client._client.event_hooks["request"].append(count)
    try:
        sender = f"turn-client-{uuid.uuid4().hex[:8]}"
        turn = await client.send_turn(sender, "我要交电费")
        assert isinstance(turn, Turn) and turn.messages and turn.tracker is not None
        assert turn.tracker["slots"]["requested_slot"] == "identity_key"
        unknown = await client.trigger_turn(sender, "EXTERNAL_face_unknown", {})
        assert unknown.tracker is not None and unknown.tracker["sender_id"] == sender
        assert calls == ["/webhooks/rest/webhook", f"/conversations/{sender}/trigger_intent"]
    finally:
        await client.close()


def test_a_bare_list_answer_has_no_state():
    turn = Turn.from_channel([{"recipient_id": "x", "text": "您好"}])
    assert turn.tracker is None and turn.messages[0].text == "您好"
