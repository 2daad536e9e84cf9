"""Attack 2: reporting a face or ID-card result nobody saw: POST /api/event without credentials,
or Rasa's trigger_intent (even with Rasa's token) without the app's fresh proof for this conversation."""
from __future__ import annotations

import time

import httpx
import pytest

from identity.proof import PROOF_ENTITY, signed_entities
from tests.security.conftest import VICTIM_ID, VICTIM_ID_NUMBER, assert_no_victim_data, assert_nobody_identified, in_conversation


async def test_app_has_no_public_sensor_event_api(app_client, hall):
    reply = await app_client.post("/api/event", json={"sender": "kiosk-1-attack", "intent": "EXTERNAL_face_recognized",
                                                      "entities": {"customer_id": VICTIM_ID}})
    assert reply.status in (404, 405)
    assert_nobody_identified(in_conversation(hall, "kiosk-1-attack").slots())


def test_trigger_intent_needs_rasas_token(hall):
    sender = "attacker-trigger-0"
    response = httpx.post(f"{hall.settings.rasa_url}/conversations/{sender}/trigger_intent", timeout=60,
                          json={"name": "EXTERNAL_face_recognized", "entities": {"customer_id": VICTIM_ID}})
    assert response.status_code == 401


def forged_proofs(hall, sender: str, intent: str, entities: dict) -> dict[str, dict]:
    """Every way to get a sensor event past the dialogue without the app having seen it now."""
    other_key = "not-the-hall-key-" + "x" * 32
    return {
        "no proof": dict(entities),
        "garbage proof": {**entities, PROOF_ENTITY: "123.abc"},
        "other key": signed_entities(other_key, sender, intent, entities),
        "other conversation": signed_entities(hall.sensor_key, sender + "-elsewhere", intent, entities),
        "other customer": {**entities, PROOF_ENTITY: signed_entities(
            hall.sensor_key, sender, intent, {k: v + "9" for k, v in entities.items()})[PROOF_ENTITY]},
        "stale": signed_entities(hall.sensor_key, sender, intent, entities, now=time.time() - 600),
    }


@pytest.mark.parametrize("intent,entities", [
    ("EXTERNAL_face_recognized", {"customer_id": VICTIM_ID}),
    ("EXTERNAL_id_card_verified", {"id_number": VICTIM_ID_NUMBER}),
])
def test_sensor_event_without_the_apps_fresh_proof_identifies_nobody(hall, intent, entities):
    for how, probe in forged_proofs(hall, "probe", intent, entities).items():
        conversation = in_conversation(hall, f"attacker-{intent[9:13]}-{how.replace(' ', '-')}")
        forged = probe
        if how not in {"no proof", "garbage proof"}:   # re-sign for this conversation's id
            forged = forged_proofs(hall, conversation.sender, intent, entities)[how]
        reply = conversation.raw_event(intent, forged)
        assert_no_victim_data(reply.messages)
        assert_nobody_identified(conversation.slots())
        asked = conversation.say("我想查一下电费")
        assert_no_victim_data(asked.messages)
        assert "确认您的身份" in asked.text, how


def test_a_proof_works_once(hall):
    conversation = in_conversation(hall, "attacker-replay")
    signed = signed_entities(hall.sensor_key, conversation.sender, "EXTERNAL_face_recognized", {"customer_id": VICTIM_ID})
    assert "张先生" in conversation.raw_event("EXTERNAL_face_recognized", signed).text   # the app's own report
    conversation.event("EXTERNAL_person_left")
    assert_nobody_identified(conversation.slots())
    conversation.raw_event("EXTERNAL_face_recognized", signed)                           # replayed
    assert_nobody_identified(conversation.slots())
