"""Proof that the app server produced a sensor result for this conversation just now, and the
actions' seal on the identity they then set. Both are HMAC-SHA256 (hmac, hashlib) with the key in
var/sensor.key, which the app and the action server share and Rasa never sees: whoever can
only talk to Rasa (its API, its REST channel, a forged tracker) cannot make one.

A proof is "<unix seconds>.<hex mac>" over [kind, conversation id, intent, entities, seconds]."""
from __future__ import annotations

import hashlib
import hmac
import json
import time
from dataclasses import dataclass

PROOF_ENTITY = "sensor_proof"
MAX_AGE_S = 30.0          # a sensor result is acted on at once; older ones are replays
MAX_SKEW_S = 5.0          # the app's clock may run a little ahead of the actions'
SEAL_MAX_AGE_S = 30 * 60  # a confirmed identity lasts one visit (the Rasa session is 30 minutes)


class ProofError(ValueError):
    """Why a proof or seal was refused; the message is for logs, never shown to a customer."""


@dataclass(frozen=True)
class SensorEvent:
    conversation_id: str
    intent: str
    entities: dict[str, str]

    def fields(self) -> list:
        return ["sensor", self.conversation_id, self.intent,
                {k: str(v) for k, v in sorted(self.entities.items()) if k != PROOF_ENTITY}]


def _mac(key: str, fields: list, stamp: int) -> str:
    data = json.dumps(fields + [stamp], ensure_ascii=False, separators=(",", ":"), sort_keys=True)
    return hmac.new(key.encode(), data.encode(), hashlib.sha256).hexdigest()


def _sign(key: str, fields: list, now: float | None) -> str:
    """"<unix seconds>.<mac>" over `fields` (every proof and seal below is one)."""
    stamp = int(time.time() if now is None else now)
    return f"{stamp}.{_mac(key, fields, stamp)}"


def _check(key: str, fields: list, token: object, now: float | None, max_age_s: float) -> None:
    now = time.time() if now is None else now
    if not isinstance(token, str) or token.count(".") != 1:
        raise ProofError("missing or malformed proof")
    stamp_text, mac = token.split(".")
    if not stamp_text.isdigit():
        raise ProofError("malformed proof time")
    stamp = int(stamp_text)
    if not hmac.compare_digest(_mac(key, fields, stamp), mac):
        raise ProofError("proof does not match (forged, or for another conversation or event)")
    if stamp > now + MAX_SKEW_S:
        raise ProofError("proof from the future")
    if now - stamp > max_age_s:
        raise ProofError(f"proof is {now - stamp:.0f} s old")


def sign_event(key: str, event: SensorEvent, now: float | None = None) -> str:
    return _sign(key, event.fields(), now)


def signed_entities(key: str, conversation_id: str, intent: str, entities: dict[str, str],
                    now: float | None = None) -> dict[str, str]:
    """The entities to send with a sensor intent: the originals plus their proof."""
    event = SensorEvent(conversation_id, intent, dict(entities))
    return {**entities, PROOF_ENTITY: sign_event(key, event, now)}


def check_event(key: str, event: SensorEvent, proof: object, now: float | None = None,
                max_age_s: float = MAX_AGE_S) -> None:
    """Raises ProofError unless `proof` is the app's fresh proof of exactly this event."""
    _check(key, event.fields(), proof, now, max_age_s)


def _seal_fields(conversation_id: str, customer_id: str, method: str) -> list:
    return ["identity", conversation_id, customer_id, method]


def seal_identity(key: str, conversation_id: str, customer_id: str, method: str, now: float | None = None) -> str:
    return _sign(key, _seal_fields(conversation_id, customer_id, method), now)


def check_seal(key: str, conversation_id: str, customer_id: str, method: str, seal: object,
               now: float | None = None, max_age_s: float = SEAL_MAX_AGE_S) -> None:
    _check(key, _seal_fields(conversation_id, customer_id, method), seal, now, max_age_s)


def _evidence_fields(conversation_id: str, evidence: dict) -> list:
    return ["evidence", conversation_id, {k: v for k, v in sorted(evidence.items()) if k != "proof"}]


def sign_evidence(key: str, conversation_id: str, evidence: dict, now: float | None = None) -> dict:
    """What the app saw of the customer (the emotion verdict, actions/risk_review.py) as turn
    metadata: the evidence plus its proof, bound to this conversation and valid for MAX_AGE_S."""
    return {**evidence, "proof": _sign(key, _evidence_fields(conversation_id, evidence), now)}


def check_evidence(key: str, conversation_id: str, evidence: object, now: float | None = None,
                   max_age_s: float = MAX_AGE_S) -> dict:
    """The evidence without its proof; ProofError if it is not the app's, or stale, or not a dict."""
    if not isinstance(evidence, dict):
        raise ProofError("evidence is not an object")
    _check(key, _evidence_fields(conversation_id, evidence), evidence.get("proof"), now, max_age_s)
    return {k: v for k, v in evidence.items() if k != "proof"}


def _review_fields(conversation_id: str, operation: str, review_id: str) -> list:
    return ["review", conversation_id, operation, review_id]


def seal_review(key: str, conversation_id: str, operation: str, review_id: str, now: float | None = None) -> str:
    """The actions' seal on "staff approved this paused operation" (actions/risk_review.py)."""
    return _sign(key, _review_fields(conversation_id, operation, review_id), now)


def check_review_seal(key: str, conversation_id: str, operation: str, review_id: str, seal: object,
                      now: float | None = None, max_age_s: float = MAX_AGE_S) -> None:
    _check(key, _review_fields(conversation_id, operation, review_id), seal, now, max_age_s)


def sign_resume(key: str, kiosk_id: str, conversation_id: str, now: float | None = None) -> str:
    """What a kiosk page keeps to come back to its own conversation after a dropped connection or
    an app restart: "<conversation id>~<proof>", bound to the kiosk, valid for a short while."""
    return f"{conversation_id}~{_sign(key, ['resume', kiosk_id, conversation_id], now)}"


def check_resume(key: str, kiosk_id: str, token: object, max_age_s: float, now: float | None = None) -> str:
    """The conversation id of a valid, fresh resume token for this kiosk; ProofError otherwise."""
    if not isinstance(token, str) or token.count("~") != 1 or len(token) > 200:
        raise ProofError("malformed resume token")
    conversation_id, proof = token.split("~")
    _check(key, ["resume", kiosk_id, conversation_id], proof, now, max_age_s)
    return conversation_id
