"""Verify a walk-in customer with the national ID card: read the card, find the customer by ID
number, compare the card photo with the live face 1:1 (and store the live template when the
customer consented), and say which external event the dialogue gets."""
from __future__ import annotations

import asyncio
import logging
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .session import KioskSession

log = logging.getLogger(__name__)


async def verify_with_id_card(session: "KioskSession", consent: bool) -> tuple[str, dict, list[str]]:
    """Returns (external intent, its entities, staff-assist reasons)."""
    deps = session.deps
    if deps.faces is None or deps.id_reader is None:
        return "EXTERNAL_id_card_failed", {"reason": "read_error"}, ["id_card_reader_missing"]
    card, events = await asyncio.to_thread(deps.faces.read_id_card, session.key, deps.id_reader)
    notes = [e.reason for e in events if e.type == "StaffIntervention"]
    if card is None:
        return "EXTERNAL_id_card_failed", {"reason": "read_error"}, notes
    customer = None
    if deps.find_customer is not None:
        try:
            customer = await asyncio.to_thread(deps.find_customer, id_number=card.id_number)
        except Exception:  # business system down: the dialogue's action reports it
            log.exception("ID card: customer lookup failed")
    if customer is None:  # no file here: the dialogue explains and calls staff
        return "EXTERNAL_id_card_verified", {"id_number": card.id_number}, ["id_card_no_customer_file"]
    frame = session.latest_frame
    if frame is None:
        return "EXTERNAL_id_card_failed", {"reason": "no_live_face"}, notes
    if consent:
        await asyncio.to_thread(deps.faces.record_consent, customer.customer_id)
    results = await asyncio.to_thread(deps.faces.enrol_with_id_card, session.key, card, frame,
                                      customer.customer_id, keep_template=consent)
    outcome = next(e for e in results if e.type == "EnrolmentResult")
    notes += [e.reason for e in results if e.type == "StaffIntervention"]
    if outcome.ok:
        return "EXTERNAL_id_card_verified", {"id_number": card.id_number}, notes
    return "EXTERNAL_id_card_failed", {"reason": outcome.reason}, notes

