"""Risk review (seed 002): a sensitive operation (HALLBOT_RISK_OPERATIONS; a payment only above
HALLBOT_RISK_PAYMENT_LIMIT) is paused for staff when the camera saw a sustained abnormal emotion.

Where the evidence comes from: the app server judges its own camera samples (vision/emotion_risk.py)
and attaches the verdict, signed with the sensor key, to every customer turn it sends Rasa (turn
metadata, bot/kiosk/dialogue.py). Only the app can send turns (rasa_addons/hall_channel.py needs its
token) and the page never builds the metadata, so a customer can neither forge a calm verdict nor
drop an abnormal one; evidence that is present but does not verify pauses the operation (fail closed).
A conversation none of whose turns carried evidence comes from a channel without a camera: nothing to judge.

The verdict only asks staff (the model is weak, BENCHMARKS.md): staff approve or refuse on the console,
the app sends their decision back as the signed EXTERNAL_risk_review_decided, and
action_risk_review_decided either resumes the paused action with a sealed approval or refuses it."""
from __future__ import annotations

import functools
import logging
import uuid
from dataclasses import dataclass
from decimal import Decimal

from rasa_sdk import Action, Tracker
from rasa_sdk.events import EventType, FollowupAction, SlotSet
from rasa_sdk.executor import CollectingDispatcher

from actions.trust import proven_sensor_entities, sensor_key, trusted_customer_id
from hallbot import payloads as P
from hallbot.settings import RiskSettings
from identity.proof import MAX_AGE_S, ProofError, check_evidence, check_review_seal, seal_review

log = logging.getLogger(__name__)
DECIDED_INTENT = "EXTERNAL_risk_review_decided"
EVIDENCE_KEY = "emotion"          # the metadata key the app puts its signed verdict under
# The action that performs each operation, resumed when staff approve.
RESUME_ACTION = {"pay_bill": "action_pay_bill", "transfer_ownership": "action_submit_application",
                 "close_account": "action_submit_application"}
TITLES = {"pay_bill": "缴费", "transfer_ownership": "过户", "close_account": "销户", "change_contact": "修改联系方式"}
PAUSED = "为了保障您的账户安全，这项业务需要工作人员确认一下，请稍等，工作人员马上处理。"
APPROVED = "工作人员已确认，继续为您办理。"
REFUSED = "工作人员没有通过这次办理，请到人工窗口办理，工作人员会当面为您服务。"
SLOTS = ("risk_review_id", "risk_review_operation", "risk_review_approval")
EARLIER_MAX_AGE_S = 120.0   # an earlier turn's verdict, for a turn that carries none (ID-card step-up)


@functools.cache
def settings() -> RiskSettings:
    return RiskSettings.from_env()


def is_sensitive(operation: str, amount: Decimal | float | None = None, risk: RiskSettings | None = None) -> bool:
    """Is `operation` one the deployer asked to watch? A payment only above the limit."""
    risk = risk or settings()
    if operation not in risk.operations:
        return False
    return operation != "pay_bill" or amount is None or float(amount) > risk.payment_limit


def _evidence_in_turns(tracker: Tracker) -> tuple[object | None, bool]:
    """(the newest evidence the customer's turns carried, whether it came with the latest turn)."""
    latest = True
    for event in reversed(tracker.events):
        if event.get("event") != "user":
            continue
        metadata = event.get("metadata")
        if isinstance(metadata, dict) and metadata.get(EVIDENCE_KEY) is not None:
            return metadata[EVIDENCE_KEY], latest
        latest = False
    return None, True


@dataclass(frozen=True)
class Evidence:
    """What the app's camera showed in the turn that asked for the operation."""
    present: bool      # False: no camera on this channel
    valid: bool
    abnormal: bool
    detail: dict


def evidence(tracker: Tracker) -> Evidence:
    """The verdict of the turn that asked for the operation. A sensor event's turn (the ID card that
    completes a step-up) carries none: then the customer's last turn before it speaks, if recent
    (EARLIER_MAX_AGE_S); a camera conversation never goes without evidence."""
    raw, latest = _evidence_in_turns(tracker)
    if raw is None:
        return Evidence(False, True, False, {})
    try:
        detail = check_evidence(sensor_key(), tracker.sender_id, raw, max_age_s=MAX_AGE_S if latest else EARLIER_MAX_AGE_S)
    except ProofError as error:
        log.warning("%s: emotion evidence refused: %s", tracker.sender_id, error)
        return Evidence(True, False, True, {})
    return Evidence(True, True, bool(detail.get("abnormal")), detail)


def approved(tracker: Tracker, operation: str) -> bool:
    """Staff approved this paused operation in this conversation (the actions' own seal)."""
    review_id, seal = tracker.get_slot("risk_review_id"), tracker.get_slot("risk_review_approval")
    if not (review_id and seal) or tracker.get_slot("risk_review_operation") != operation:
        return False
    try:
        check_review_seal(sensor_key(), tracker.sender_id, operation, str(review_id), seal)
    except ProofError as error:
        log.warning("%s: risk-review approval refused: %s", tracker.sender_id, error)
        return False
    return True


def pause_if_needed(dispatcher: CollectingDispatcher, tracker: Tracker, operation: str,
                    amount: Decimal | float | None = None) -> list[EventType] | None:
    """None: go on. Else the events of pausing `operation` for a staff review (the reply is sent)."""
    if not is_sensitive(operation, amount) or approved(tracker, operation):
        return None
    seen = evidence(tracker)
    if not seen.abnormal:
        return None
    review_id = f"rv-{uuid.uuid4().hex[:12]}"
    summary = TITLES.get(operation, operation) + (f" {amount}元" if amount is not None else "")
    if not seen.valid:
        summary += "（摄像头证据校验失败）"
    log.info("%s: %s paused for risk review %s", tracker.sender_id, operation, review_id)
    dispatcher.utter_message(text=PAUSED, json_message=P.RiskReview(
        review_id, operation, summary, trusted_customer_id(tracker)).to_dict())
    return [SlotSet("risk_review_id", review_id), SlotSet("risk_review_operation", operation),
            SlotSet("risk_review_approval", None)]


def done() -> list[EventType]:
    """The approved operation ran: its approval is spent."""
    return [SlotSet(slot, None) for slot in SLOTS]


class ActionRiskReviewDecided(Action):
    """The app's signed report of the staff decision on the paused operation of this conversation."""

    def name(self) -> str:
        return "action_risk_review_decided"

    async def run(self, dispatcher, tracker, domain):
        entities = proven_sensor_entities(tracker, DECIDED_INTENT)
        review_id, operation = tracker.get_slot("risk_review_id"), tracker.get_slot("risk_review_operation")
        if entities is None or not review_id or entities.get("review_id") != review_id:
            log.warning("%s: risk-review decision ignored (no proof or not the open review)", tracker.sender_id)
            return []
        if entities.get("decision") != "approved":
            dispatcher.utter_message(text=REFUSED, json_message=P.RiskReviewResult(str(review_id), False).to_dict())
            return done() + [SlotSet("confirmed", None), SlotSet("pending_request", None)]
        dispatcher.utter_message(text=APPROVED, json_message=P.RiskReviewResult(str(review_id), True).to_dict())
        events: list[EventType] = [SlotSet("risk_review_approval",
                                           seal_review(sensor_key(), tracker.sender_id, str(operation), str(review_id)))]
        resume = RESUME_ACTION.get(str(operation))
        return events + [FollowupAction(resume)] if resume else events
