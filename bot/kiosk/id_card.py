"""Verify a walk-in customer with the national ID card: read the card, make the face in front of the
camera prove live (a fresh liveness judgement from the card's read on: otherwise a stolen card with
its own photo printed and held up would pass the 1:1), compare the card photo with that live face,
find the customer by ID number, and (only after the photo matched, and only if this customer ticked
the box in this visit) record consent and keep the live template.

Fails closed: EXTERNAL_id_card_verified is returned only after a successful face match; a read
error, a lookup error, a missing face or any other problem is EXTERNAL_id_card_failed."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable

import numpy as np

from vision.events import EnrolmentResult, StaffIntervention

from .consent import FACE_CONSENT_VERSION
from .core import KioskDeps

log = logging.getLogger(__name__)
FAILED = "EXTERNAL_id_card_failed"
LIVE_CHECK_S = 11.0   # the judge refuses an unanswered challenge after 10 s (vision/liveness/judge.py)
LIVE_POLL_S = 0.1
ASK_LIVE = "请正对摄像头，眨眨眼"


async def prove_live(deps: KioskDeps, key: str, ask: Callable[[str], Awaitable[None]],
                     timeout_s: float = LIVE_CHECK_S) -> tuple[np.ndarray | None, str]:
    """(the frame that proved live, "") or (None, reason): not_live (a spoof, or no answer to the
    challenge), no_live_face (no face came at all)."""
    assert deps.faces is not None
    deps.faces.start_liveness_check(key)
    try:
        await ask(ASK_LIVE)
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            check = deps.faces.liveness_check(key)
            if check is not None and check.result is not None:
                if check.result.state == "live":
                    return check.frame, ""
                log.warning("ID card: the face is not live (%s)", check.result.reason)
                return None, "not_live"
            await asyncio.sleep(LIVE_POLL_S)
        return None, "no_live_face"
    finally:
        deps.faces.end_liveness_check(key)


async def verify_with_id_card(deps: KioskDeps, key: str, ask: Callable[[str], Awaitable[None]],
                             consent: bool) -> tuple[str, dict, list[str]]:
    """Returns (external intent, its entities, staff-assist reasons). `key`: the session's vision
    key (its frames keep coming meanwhile); `ask`: says a liveness request to the customer."""
    if deps.faces is None or deps.id_reader is None:
        return FAILED, {"reason": "read_error"}, ["id_card_reader_missing"]
    card, events = await asyncio.to_thread(deps.faces.read_id_card, key, deps.id_reader)
    notes = [e.reason for e in events if isinstance(e, StaffIntervention)]
    if card is None:
        return FAILED, {"reason": "read_error"}, notes
    frame, not_live = await prove_live(deps, key, ask)
    if frame is None:
        return FAILED, {"reason": not_live}, notes
    try:
        customer = await asyncio.to_thread(deps.find_customer, id_number=card.id_number) \
            if deps.find_customer else None
    except Exception:  # business system down: no check can pass without knowing who this is
        log.exception("ID card: customer lookup failed")
        return FAILED, {"reason": "lookup_error"}, notes + ["id_card_lookup_error"]
    customer_id = customer.customer_id if customer else ""
    results = await asyncio.to_thread(deps.faces.enrol_with_id_card, key, card, frame,
                                      customer_id, keep_template=False)
    outcome = next(e for e in results if isinstance(e, EnrolmentResult))
    notes += [e.reason for e in results if isinstance(e, StaffIntervention)]
    if not outcome.ok:
        return FAILED, {"reason": outcome.reason or "mismatch"}, notes
    if customer is None:  # the holder is who the card says, but has no file here: staff opens one
        return "EXTERNAL_id_card_verified", {"id_number": card.id_number}, notes + ["id_card_no_customer_file"]
    if consent:  # matched: now, and only now, the consent and the template
        await asyncio.to_thread(deps.faces.record_consent, customer_id, "kiosk-id-card", FACE_CONSENT_VERSION)
        stored = await asyncio.to_thread(deps.faces.enrol_image, customer_id, frame)
        if not stored.ok:
            log.warning("ID card: matched, but the live template was not kept (%s)", stored.reason)
    return "EXTERNAL_id_card_verified", {"id_number": card.id_number}, notes
