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
                                      customer.customer_id) if consent else \
        await asyncio.to_thread(_compare_only, deps.faces, session.key, card, frame)
    outcome = next((e for e in results if e.type == "EnrolmentResult"), None)
    notes += [e.reason for e in results if e.type == "StaffIntervention"]
    if outcome is not None and outcome.ok:
        return "EXTERNAL_id_card_verified", {"id_number": card.id_number}, notes
    return "EXTERNAL_id_card_failed", {"reason": outcome.reason if outcome else "mismatch"}, notes


def _compare_only(faces, session_key: str, card, frame) -> list:
    """No consent to keep a template: compare 1:1 and forget the live face."""
    from vision.events import EnrolmentResult
    from vision.image_io import to_rgb

    try:
        id_rgb = to_rgb(faces.photo_decoder.decode(card.photo, card.photo_format))
    except Exception:
        return [EnrolmentResult(session_key, 0.0, ok=False, reason="id_photo_unreadable")]
    id_faces, live = faces.engine.detect(id_rgb), faces.observe(frame)
    if not id_faces or not hasattr(live, "face"):
        return [EnrolmentResult(session_key, 0.0, ok=False, reason="live_no_face")]
    a = faces.engine.embed(id_rgb, max(id_faces, key=lambda f: f.area))
    b = faces.engine.embed(live.rgb, live.face)
    score = float((a * b).sum())
    ok = score >= faces.config.verify_threshold
    return [EnrolmentResult(session_key, 0.0, ok=ok, score=round(score, 4), reason="" if ok else "mismatch")]
