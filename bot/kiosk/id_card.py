"""Verify a walk-in customer with the national ID card: read the card, compare the card photo with
the live face 1:1, find the customer by ID number, and (only after the photo matched, and only if
this customer ticked the box in this visit) record consent and keep the live template.

Fails closed: EXTERNAL_id_card_verified is returned only after a successful face match; a read
error, a lookup error, a missing face or any other problem is EXTERNAL_id_card_failed."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from vision.events import EnrolmentResult, StaffIntervention

from .consent import FACE_CONSENT_VERSION
from .core import KioskDeps

log = logging.getLogger(__name__)
FAILED = "EXTERNAL_id_card_failed"


async def verify_with_id_card(deps: KioskDeps, key: str, latest_frame: Callable[[], bytes | None],
                             consent: bool) -> tuple[str, dict, list[str]]:
    """Returns (external intent, its entities, staff-assist reasons). `key`: the session's vision
    key; `latest_frame`: the camera's newest frame once the card is read (the live face to compare)."""
    if deps.faces is None or deps.id_reader is None:
        return FAILED, {"reason": "read_error"}, ["id_card_reader_missing"]
    card, events = await asyncio.to_thread(deps.faces.read_id_card, key, deps.id_reader)
    notes = [e.reason for e in events if isinstance(e, StaffIntervention)]
    if card is None:
        return FAILED, {"reason": "read_error"}, notes
    frame = latest_frame()
    if frame is None:
        return FAILED, {"reason": "no_live_face"}, notes
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
