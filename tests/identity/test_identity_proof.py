"""Sensor proofs and identity seals (identity/proof.py) and the secret files (identity/keys.py)."""
from __future__ import annotations

import stat

import pytest

from identity import keys
from identity.proof import PROOF_ENTITY, ProofError, SensorEvent, check_event, check_seal, seal_identity, signed_entities

KEY = "k" * 43
NOW = 1_800_000_000.0


def test_a_proof_checks_out_only_for_its_conversation_event_and_entities():
    entities = signed_entities(KEY, "conv-1", "EXTERNAL_face_recognized", {"customer_id": "C1"}, now=NOW)
    proof = entities[PROOF_ENTITY]
    check_event(KEY, SensorEvent("conv-1", "EXTERNAL_face_recognized", entities), proof, now=NOW + 1)
    for event in (SensorEvent("conv-2", "EXTERNAL_face_recognized", {"customer_id": "C1"}),
                  SensorEvent("conv-1", "EXTERNAL_id_card_verified", {"customer_id": "C1"}),
                  SensorEvent("conv-1", "EXTERNAL_face_recognized", {"customer_id": "C2"})):
        with pytest.raises(ProofError, match="does not match"):
            check_event(KEY, event, proof, now=NOW)
    with pytest.raises(ProofError, match="does not match"):
        check_event("another key" * 4, SensorEvent("conv-1", "EXTERNAL_face_recognized", entities), proof, now=NOW)


@pytest.mark.parametrize("proof", [None, "", "abc", "12.34.56", "x.deadbeef", 42])
def test_malformed_proofs_are_refused(proof):
    with pytest.raises(ProofError):
        check_event(KEY, SensorEvent("c", "EXTERNAL_face_recognized", {}), proof, now=NOW)


def test_old_and_future_proofs_are_refused():
    event = SensorEvent("c", "EXTERNAL_face_recognized", {"customer_id": "C1"})
    old = signed_entities(KEY, "c", event.intent, event.entities, now=NOW - 31)[PROOF_ENTITY]
    future = signed_entities(KEY, "c", event.intent, event.entities, now=NOW + 60)[PROOF_ENTITY]
    with pytest.raises(ProofError, match="old"):
        check_event(KEY, event, old, now=NOW)
    with pytest.raises(ProofError, match="future"):
        check_event(KEY, event, future, now=NOW)


def test_identity_seal_binds_conversation_customer_and_method():
    seal = seal_identity(KEY, "conv", "C1", "sms", now=NOW)
    check_seal(KEY, "conv", "C1", "sms", seal, now=NOW + 60)
    for args in (("other", "C1", "sms"), ("conv", "C2", "sms"), ("conv", "C1", "id_card")):
        with pytest.raises(ProofError):
            check_seal(KEY, *args, seal, now=NOW)
    with pytest.raises(ProofError, match="old"):
        check_seal(KEY, "conv", "C1", "sms", seal, now=NOW + 31 * 60)


def test_secrets_are_created_once_private_and_random(tmp_path):
    first = keys.secret(keys.SENSOR_KEY, tmp_path)
    assert keys.secret(keys.SENSOR_KEY, tmp_path) == first and len(first) >= 40
    assert keys.secret(keys.RASA_TOKEN, tmp_path) != first
    assert stat.S_IMODE((tmp_path / keys.SENSOR_KEY).stat().st_mode) == 0o600
