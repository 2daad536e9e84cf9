"""The custom payloads the actions send with a reply (`json_message`), read by the kiosk session,
the staff board and the kiosk page: one frozen dataclass per payload type.

Why: these dicts were built in actions/*.py and read in bot/kiosk, bot/staff and bot/static/*.js,
so renaming a type or a field blanked a screen card without any error. Now the actions build
these classes, the readers parse with `payload_from_dict`, and tests check domain.yml and the
page's JS against `PAYLOAD_TYPES` (tests/contracts/test_payloads.py). Reading is strict (hallbot.messages):
unknown type, missing field or unknown key -> `PayloadError`.

`rendered`: the page shows a card for it (kiosk.js `custom()` must handle it); the others are
instructions to the session (prompt, staff_intervention, face_enrolment) or travel with a text
that says it all (error, face_enrolment_result).

`python -m hallbot.payloads --js > bot/static/payload_types.js` writes the page's copy of the
contract (committed; a test checks it is current).
"""
from __future__ import annotations

import dataclasses
import json
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from hallbot.messages import Family, Message, MessageError, MissingField, UnexpectedField, UnknownType

__all__ = ["PAYLOADS", "PAYLOAD_TYPES", "Payload", "PayloadError", "UnknownPayload", "MissingField",
           "UnexpectedField", "payload_from_dict", "javascript"]

PayloadError = MessageError
UnknownPayload = UnknownType

PAYLOADS = Family("payload")


class Payload(Message):
    rendered: ClassVar[bool] = False


# -- parts of payloads --------------------------------------------------------------------------
@dataclass(frozen=True)
class BillLine:
    account_no: str
    period: str          # YYYY-MM
    kwh: str             # decimals as strings: exact, and what the page prints
    amount: str
    paid: bool


@dataclass(frozen=True)
class ArrearsItem:
    account_no: str
    amount: str


@dataclass(frozen=True)
class Recommendation:
    code: str            # catalogue service code
    title: str
    reason: str
    intent: str | None   # the intent that starts it; None = staff only
    score: float


@dataclass(frozen=True)
class StaffRef:
    staff_id: str
    name: str


@dataclass(frozen=True)
class TranscriptLine:
    who: str             # customer | robot
    text: str


# -- payloads -----------------------------------------------------------------------------------
@PAYLOADS.register
@dataclass(frozen=True)
class Bills(Payload):
    """The latest (or the asked-for period's) bill of each account."""
    type: ClassVar[str] = "bills"
    rendered: ClassVar[bool] = True
    bills: tuple[BillLine, ...]


@PAYLOADS.register
@dataclass(frozen=True)
class Arrears(Payload):
    """What each account owes (only accounts in arrears)."""
    type: ClassVar[str] = "arrears"
    rendered: ClassVar[bool] = True
    items: tuple[ArrearsItem, ...]


@PAYLOADS.register
@dataclass(frozen=True)
class ConfirmPayment(Payload):
    """Asks to confirm paying the account's arrears (with 确认/取消 buttons)."""
    type: ClassVar[str] = "confirm_payment"
    rendered: ClassVar[bool] = True
    account_no: str
    amount: str


@PAYLOADS.register
@dataclass(frozen=True)
class Payment(Payload):
    """A payment went through; balance_after 0 = settled."""
    type: ClassVar[str] = "payment"
    rendered: ClassVar[bool] = True
    payment_id: str
    account_no: str
    amount: str
    balance_after: str


@PAYLOADS.register
@dataclass(frozen=True)
class Invoice(Payload):
    """An invoice was issued (printed at the kiosk's slot)."""
    type: ClassVar[str] = "invoice"
    rendered: ClassVar[bool] = True
    invoice_id: str
    account_no: str
    period: str
    amount: str


@PAYLOADS.register
@dataclass(frozen=True)
class Application(Payload):
    """A business application was filed (new connection, capacity change, ...)."""
    type: ClassVar[str] = "application"
    rendered: ClassVar[bool] = True
    application_id: str
    kind: str
    status: str
    account_no: str | None   # None for a new connection


@PAYLOADS.register
@dataclass(frozen=True)
class OutageTicket(Payload):
    """An outage report was logged; planned_outage when a planned outage covers the address."""
    type: ClassVar[str] = "outage_ticket"
    rendered: ClassVar[bool] = True
    ticket_id: str
    address: str
    planned_outage: str | None


@PAYLOADS.register
@dataclass(frozen=True)
class Recommendations(Payload):
    """The customer's predicted services, best first (also offered as buttons)."""
    type: ClassVar[str] = "recommendations"
    rendered: ClassVar[bool] = True
    customer_id: str
    items: tuple[Recommendation, ...]


@PAYLOADS.register
@dataclass(frozen=True)
class Handoff(Payload):
    """Staff take over: from action_handoff (business_type, staff, transcript) or from a failed
    identity check (reason, pending_request). The board fills in what is missing."""
    type: ClassVar[str] = "handoff"
    rendered: ClassVar[bool] = True
    customer_id: str | None = None
    business_type: str | None = None
    staff: tuple[StaffRef, ...] = ()
    transcript: tuple[TranscriptLine, ...] = ()
    reason: str | None = None
    pending_request: str | None = None


@PAYLOADS.register
@dataclass(frozen=True)
class StaffIntervention(Payload):
    """The session asks the board for a person next to the customer (ID card failed twice)."""
    type: ClassVar[str] = "staff_intervention"
    reason: str


@PAYLOADS.register
@dataclass(frozen=True)
class Prompt(Payload):
    """A screen instruction, not content: the session shows the ID-card prompt."""
    type: ClassVar[str] = "prompt"
    kind: str            # id_card


@PAYLOADS.register
@dataclass(frozen=True)
class FaceEnrolment(Payload):
    """Consent given: the session captures the live face of this customer."""
    type: ClassVar[str] = "face_enrolment"
    customer_id: str
    consent: bool


@PAYLOADS.register
@dataclass(frozen=True)
class FaceEnrolmentResult(Payload):
    """Sent by the session (not the actions) after a face enrolment."""
    type: ClassVar[str] = "face_enrolment_result"
    ok: bool


@PAYLOADS.register
@dataclass(frozen=True)
class FaceDeletion(Payload):
    """The customer confirmed withdrawing face consent (action_delete_face, for the sealed identity
    only): the session erases the face of the customer *it* identified, and only if that is this
    customer_id (bot/kiosk/dialogue.py); it then confirms with FaceDeletionResult."""
    type: ClassVar[str] = "face_deletion"
    customer_id: str


@PAYLOADS.register
@dataclass(frozen=True)
class FaceDeletionResult(Payload):
    """Sent by the session (not the actions) after a face deletion: ok = every store reached."""
    type: ClassVar[str] = "face_deletion_result"
    ok: bool


@PAYLOADS.register
@dataclass(frozen=True)
class StaffComing(Payload):
    """Sent by the session (not the actions) when staff acknowledged the customer's notice."""
    type: ClassVar[str] = "staff_coming"
    rendered: ClassVar[bool] = True
    staff: str           # who is coming, or "工作人员"


@PAYLOADS.register
@dataclass(frozen=True)
class RiskReview(Payload):
    """A sensitive operation paused (actions/risk_review.py): the session asks staff to review it,
    with the emotion evidence *it* saw (never what a reply carries); `summary` says what it is."""
    type: ClassVar[str] = "risk_review"
    review_id: str
    operation: str
    summary: str
    customer_id: str | None = None


@PAYLOADS.register
@dataclass(frozen=True)
class RiskReviewResult(Payload):
    """Staff decided a paused operation: approved (it goes on) or refused."""
    type: ClassVar[str] = "risk_review_result"
    review_id: str
    approved: bool


@PAYLOADS.register
@dataclass(frozen=True)
class RatingRequest(Payload):
    """Farewell (action_farewell): the session shows the one-tap, skippable satisfaction question."""
    type: ClassVar[str] = "rating_request"


@PAYLOADS.register
@dataclass(frozen=True)
class Error(Payload):
    """A business-system error (its code) or "internal"; the reply text says what happened."""
    type: ClassVar[str] = "error"
    code: str


PAYLOAD_TYPES: Mapping[str, type[Message]] = PAYLOADS.classes


def payload_from_dict(data: Mapping[str, Any]) -> Payload:
    """Any payload, by its "type"; PayloadError when it is not one of PAYLOAD_TYPES."""
    payload = PAYLOADS.from_dict(data)
    assert isinstance(payload, Payload)
    return payload


def javascript() -> str:
    """The page's copy of the contract: each payload type's fields, and the ones with a card."""
    fields = {name: [f.name for f in dataclasses.fields(cls)] for name, cls in sorted(PAYLOAD_TYPES.items())}  # type: ignore[arg-type]
    rendered = sorted(name for name, cls in PAYLOAD_TYPES.items() if getattr(cls, "rendered", False))
    lines = ["// Generated from hallbot/payloads.py by `python -m hallbot.payloads --js`: do not edit.",
             "// The custom payloads a reply may carry and their fields (tests/contracts/test_payloads.py checks it).",
             "const PAYLOAD_FIELDS = Object.freeze({"]
    lines += [f"  {json.dumps(name)}: {json.dumps(names)}," for name, names in fields.items()]
    lines += ["});", f"const RENDERED_PAYLOADS = Object.freeze({json.dumps(rendered)});", ""]
    return "\n".join(lines)


if __name__ == "__main__":
    if sys.argv[1:] != ["--js"]:
        sys.exit("usage: python -m hallbot.payloads --js > bot/static/payload_types.js")
    sys.stdout.write(javascript())
