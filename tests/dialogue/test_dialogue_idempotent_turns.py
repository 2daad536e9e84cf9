"""A turn is handled once however often the app sends it (rasa_addons/turn_ledger.py): the app
repeats a turn whose answer it lost with the same message id, and Rasa neither records the
message twice nor runs its actions twice, also across a Rasa restart. Real Rasa, real HTTP."""
from __future__ import annotations

import asyncio
import uuid

import httpx


def _post(hall, body: dict) -> httpx.Response:
    return httpx.post(f"{hall.settings.rasa_url}/webhooks/rest/webhook", params={"token": hall.rasa_token},
                      json=body, timeout=60)


def user_events(hall, sender: str) -> list[dict]:
    events = httpx.get(f"{hall.settings.rasa_url}/conversations/{sender}/tracker",
                       params={"token": hall.rasa_token, "include_events": "ALL"}, timeout=60).json()["events"]
    return [e for e in events if e["event"] == "user"]


def test_a_repeated_message_id_is_handled_once_and_answered_the_same(hall):
    sender, message_id = f"idem-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    body = {"sender": sender, "message": "我要交电费", "with_state": True, "message_id": message_id}
    first = _post(hall, body).json()
    again = _post(hall, {**body, "retry": True}).json()
    assert first["messages"] and again["messages"] == first["messages"]
    assert (first["repeated"], again["repeated"]) == (False, True)
    assert [e["message_id"] for e in user_events(hall, sender)] == [message_id]
    other = _post(hall, {**body, "message_id": uuid.uuid4().hex}).json()   # a new turn is a new turn
    assert other["repeated"] is False and len(user_events(hall, sender)) == 2


async def test_repeats_sent_while_the_first_is_still_running_wait_for_it(hall):
    sender, message_id = f"idem-par-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    body = {"sender": sender, "message": "查一下电费", "with_state": True, "message_id": message_id}
    async with httpx.AsyncClient(timeout=60) as client:
        answers = await asyncio.gather(*[client.post(f"{hall.settings.rasa_url}/webhooks/rest/webhook",
                                                     params={"token": hall.rasa_token}, json=body) for _ in range(3)])
    replies = [a.json() for a in answers]
    assert sorted(r["repeated"] for r in replies) == [False, True, True]
    assert all(r["messages"] == replies[0]["messages"] for r in replies)
    assert len(user_events(hall, sender)) == 1


def test_a_malformed_message_id_is_refused(hall):
    for bad in ("short", "x" * 65, "has space 123", 12345678):
        response = _post(hall, {"sender": "idem-bad", "message": "你好", "message_id": bad})
        assert response.status_code == 400 and "message_id" in response.text


def test_a_repeat_after_a_rasa_restart_is_not_handled_again(hall):
    sender, message_id = f"idem-restart-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    body = {"sender": sender, "message": "我要交电费", "with_state": True, "message_id": message_id}
    assert _post(hall, body).json()["messages"]
    hall.supervisor.restart("rasa")           # its memory of the turn is gone; the tracker store keeps the id
    again = _post(hall, {**body, "retry": True}).json()
    assert again["repeated"] is True and again["messages"] == []
    assert again["tracker"]["active_loop"]["name"] == "identity_form", "the state of the first attempt"
    assert len(user_events(hall, sender)) == 1
    fresh = _post(hall, {**body, "message_id": uuid.uuid4().hex, "retry": True}).json()
    assert fresh["repeated"] is False, "an id Rasa never saw is handled, retry or not"


async def test_the_chat_api_sends_a_turn_again_under_its_id_and_it_counts_once(app_client, hall):
    """A chat client that lost its answer (a 503, a dropped connection) posts the turn again with
    its id: answered the same, recorded once. A malformed id is refused."""
    sender, turn = f"idem-chat-{uuid.uuid4().hex[:8]}", uuid.uuid4().hex
    first = await (await app_client.post("/api/message", json={"sender": sender, "text": "我要交电费", "id": turn})).json()
    again = await (await app_client.post("/api/message", json={"sender": sender, "text": "我要交电费", "id": turn,
                                                               "retry": True})).json()
    assert first["messages"] and [m["text"] for m in again["messages"]] == [m["text"] for m in first["messages"]]
    assert [e["message_id"] for e in user_events(hall, f"web-{sender}")] == [turn]
    bad = await app_client.post("/api/message", json={"sender": sender, "text": "你好", "id": "no spaces allowed"})
    assert bad.status == 400 and len(user_events(hall, f"web-{sender}")) == 1
