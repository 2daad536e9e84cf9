"""Who the dialogue may believe. A sensor intent (EXTERNAL_face_recognized, _id_card_verified)
counts only with the app server's fresh proof for this conversation (identity.proof); the identity
the actions then set is sealed, and every action that reads it checks the seal, so slots written
through Rasa's API or a forged tracker sent to the action server identify nobody."""
from __future__ import annotations

import functools
import logging

from rasa_sdk import Tracker
from rasa_sdk.events import EventType, SlotSet

from identity import keys
from identity.proof import MAX_AGE_S, MAX_SKEW_S, PROOF_ENTITY, ProofError, SensorEvent, check_event, check_seal, seal_identity
from identity.used_proofs import UsedProofs, open_used_proofs

log = logging.getLogger(__name__)
SECOND_FACTORS = {"sms", "id_card"}   # verified in this visit; a face match alone is not one
METHODS = {"face"} | SECOND_FACTORS


@functools.cache
def sensor_key() -> str:
    return keys.secret(keys.SENSOR_KEY)


@functools.cache
def used_proofs() -> UsedProofs:
    """Shared by every action-server process of the hall (identity/used_proofs.py): a proof acted on
    by one worker, or before a restart, is a replay for all."""
    from hallbot.settings import load

    settings = load()
    return open_used_proofs(settings.proof_store, settings.var_dir)


def _entities(message: dict) -> dict[str, str]:
    return {e.get("entity"): str(e.get("value")) for e in message.get("entities") or [] if e.get("entity")}


def proven_sensor_entities(tracker: Tracker, intent: str) -> dict[str, str] | None:
    """The latest message's entities if it is `intent` with a valid, fresh, unused proof; else None."""
    latest = tracker.latest_message or {}
    if (latest.get("intent") or {}).get("name") != intent:
        log.warning("%s: refused, the latest message is not that sensor event", tracker.sender_id)
        return None
    entities = _entities(latest)
    proof = entities.get(PROOF_ENTITY)
    try:
        check_event(sensor_key(), SensorEvent(tracker.sender_id, intent, entities), proof)
    except ProofError as error:
        log.warning("%s: %s refused: %s", tracker.sender_id, intent, error)
        return None
    uses = sum(1 for e in tracker.events if e.get("event") == "user"
               and _entities(e.get("parse_data") or {}).get(PROOF_ENTITY) == proof)
    if uses > 1 or not used_proofs().first_use(str(proof), MAX_AGE_S + MAX_SKEW_S):
        log.warning("%s: %s refused: proof replayed", tracker.sender_id, intent)
        return None
    return {k: v for k, v in entities.items() if k != PROOF_ENTITY}


def identity_slots(tracker: Tracker, customer_id: str, method: str) -> list[EventType]:
    if method not in METHODS:
        raise ValueError(f"unknown identity method {method!r}")
    return [SlotSet("identified", True), SlotSet("customer_id", customer_id), SlotSet("identity_method", method),
            SlotSet("identity_seal", seal_identity(sensor_key(), tracker.sender_id, customer_id, method)),
            SlotSet("identity_failed", False), SlotSet("second_factor", method in SECOND_FACTORS)]


def trusted_customer_id(tracker: Tracker) -> str | None:
    """The identified customer, if the actions themselves confirmed them in this conversation."""
    customer_id, method = tracker.get_slot("customer_id"), tracker.get_slot("identity_method")
    if not (tracker.get_slot("identified") and customer_id and method in METHODS):
        return None
    try:
        check_seal(sensor_key(), tracker.sender_id, str(customer_id), str(method), tracker.get_slot("identity_seal"))
    except ProofError as error:
        log.warning("%s: identity slots without a valid seal ignored: %s", tracker.sender_id, error)
        return None
    return str(customer_id)


def has_second_factor(tracker: Tracker) -> bool:
    """Confirmed by SMS code or ID card + 1:1 face match in this visit (the risky operations of
    actions/risk.py need it). The `second_factor` slot only routes the dialogue; this checks the seal."""
    return trusted_customer_id(tracker) is not None and tracker.get_slot("identity_method") in SECOND_FACTORS
