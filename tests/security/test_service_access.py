"""Attacks 3 and 4: Rasa's HTTP API and the action server used directly from the hall network:
tracker edits, tracker reads, model replacement, forged trackers sent to the action server."""
from __future__ import annotations

import socket

import httpx
import pytest

from identity import keys
from tests.security.conftest import VICTIM_ID, assert_no_victim_data, in_conversation


@pytest.mark.parametrize("method,path", [
    ("POST", "/conversations/victim/tracker/events"), ("GET", "/conversations/victim/tracker"),
    ("PUT", "/conversations/victim/tracker/events"), ("POST", "/conversations/victim/messages"),
    ("POST", "/conversations/victim/execute"), ("POST", "/conversations/victim/predict"),
    ("PUT", "/model"), ("DELETE", "/model"), ("POST", "/model/parse"), ("GET", "/status"),
])
def test_rasa_api_refuses_callers_without_the_token(hall, method, path):
    body = [{"event": "slot", "name": "identified", "value": True}] if "events" in path else {}
    response = httpx.request(method, f"{hall.settings.rasa_url}{path}", json=body, timeout=30)
    assert response.status_code == 401, response.text[:200]
    wrong = httpx.request(method, f"{hall.settings.rasa_url}{path}", params={"token": "guess"}, json=body, timeout=30)
    assert wrong.status_code == 401


def test_rasa_sends_no_cors_wildcard(hall):
    response = httpx.options(f"{hall.settings.rasa_url}/conversations/victim/tracker/events",
                             headers={"Origin": "http://evil.example", "Access-Control-Request-Method": "POST"},
                             timeout=30)
    assert response.headers.get("Access-Control-Allow-Origin") in (None, ""), response.headers


def test_identity_slots_written_through_rasas_api_identify_nobody(hall):
    """Even a holder of Rasa's token cannot make identity by writing slots: actions check their seal."""
    conversation = in_conversation(hall, "attacker-slots")
    events = [{"event": "slot", "name": "identified", "value": True},
              {"event": "slot", "name": "customer_id", "value": VICTIM_ID},
              {"event": "slot", "name": "identity_method", "value": "sms"},
              {"event": "slot", "name": "identity_seal", "value": "1700000000.00"}]
    written = httpx.post(f"{hall.settings.rasa_url}/conversations/{conversation.sender}/tracker/events",
                         params={"token": hall.rasa_token}, json=events, timeout=30)
    assert written.status_code == 200
    for text in ("我想查一下电费", "我要交电费", "帮我打印一下发票"):
        assert_no_victim_data(conversation.say(text).messages)


def test_action_server_is_bound_to_the_configured_host(hall):
    if hall.settings.host != "127.0.0.1":
        pytest.skip("checks the default HALLBOT_HOST")
    with socket.socket() as probe:   # 127.0.0.2 is this machine too: a 0.0.0.0 listener answers there
        probe.settimeout(2)
        assert probe.connect_ex(("127.0.0.2", hall.settings.actions_port)) != 0, "action server listens beyond HALLBOT_HOST"


def forged_webhook_call(hall, action: str) -> dict:
    slots = {"identified": True, "customer_id": VICTIM_ID, "account_no": "3100000001", "confirmed": True,
             "identity_method": "sms", "identity_seal": "1700000000.00"}
    return {"next_action": action, "sender_id": "attacker-webhook", "version": "3.6.21", "domain": {},
            "tracker": {"sender_id": "attacker-webhook", "slots": slots, "events": [], "paused": False,
                        "latest_message": {"intent": {"name": "query_bill"}, "entities": [], "text": "查电费"},
                        "followup_action": None, "active_loop": {}, "latest_action_name": "action_listen"}}


@pytest.mark.parametrize("action", ["action_query_bill", "action_pay_bill", "action_enrol_face",
                                    "action_delete_face"])
def test_action_server_refuses_callers_without_the_secret(hall, action):
    url = f"http://{hall.settings.host}:{hall.settings.actions_port}/webhook"
    response = httpx.post(url, json=forged_webhook_call(hall, action), timeout=30)
    assert response.status_code == 401
    guessed = httpx.post(url, json=forged_webhook_call(hall, action), headers={"Authorization": "Bearer guess"},
                         timeout=30)
    assert guessed.status_code == 401


@pytest.mark.parametrize("action", ["action_query_bill", "action_pay_bill", "action_enrol_face",
                                    "action_delete_face"])
def test_forged_tracker_identifies_nobody_even_with_the_secret(hall, action):
    secret = keys.secret(keys.ACTIONS_TOKEN, hall.settings.var_dir)
    response = httpx.post(f"http://{hall.settings.host}:{hall.settings.actions_port}/webhook",
                          json=forged_webhook_call(hall, action), headers={"Authorization": f"Bearer {secret}"},
                          timeout=30)
    assert response.status_code == 200
    assert_no_victim_data(response.json().get("responses", []))
    assert not [e for e in response.json().get("events", []) if e.get("name") == "identified" and e.get("value")]


@pytest.mark.parametrize("service", ["rasa", "actions"])
def test_oversized_request_bodies_are_refused_before_they_are_read(hall, service):
    """Sanic's default cap is 100 MB: one request could hold that much memory in Rasa or the action
    server. Both refuse a body over their cap (hallbot.settings RASA_/ACTIONS_MAX_BODY_BYTES) with 413."""
    from hallbot.settings import ACTIONS_MAX_BODY_BYTES, RASA_MAX_BODY_BYTES

    headers = {"Content-Type": "application/json"}
    if service == "rasa":
        url, cap = f"{hall.settings.rasa_url}/webhooks/rest/webhook?token={hall.rasa_token}", RASA_MAX_BODY_BYTES
    else:   # with the secret: a caller without it gets 401 before any body is read
        url, cap = f"http://{hall.settings.host}:{hall.settings.actions_port}/webhook", ACTIONS_MAX_BODY_BYTES
        headers["Authorization"] = f"Bearer {keys.secret(keys.ACTIONS_TOKEN, hall.settings.var_dir)}"
    body = b'{"sender": "big", "message": "' + b"x" * (cap + 1024) + b'"}'
    response = httpx.post(url, content=body, headers=headers, timeout=60)
    assert response.status_code == 413
