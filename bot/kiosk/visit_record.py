"""Keeps one kiosk session's visit record (bot/visits.py) in step with what the session does: the
state machine says when a visit starts, who was identified and how, and when staff took over;
the dialogue adds each turn's intent; farewell adds the rating and the emotion trend. Writes run in a
worker thread and never fail the session (the record is a helper, like the staff board)."""
from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from .fsm import SessionFSM

if TYPE_CHECKING:
    from bot.visits import VisitLog

log = logging.getLogger(__name__)
FALLBACK_INTENTS = {"nlu_fallback", "out_of_scope"}
FALLBACK_ACTIONS = {"action_default_fallback"}
RATING_WINDOW_S = 120.0   # a rating tap this long after the question still counts


class VisitRecorder:
    def __init__(self, visits: VisitLog | None, kiosk_id: str, wall: Callable[[], float] = time.time) -> None:
        self.visits, self.kiosk_id, self.wall = visits, kiosk_id, wall
        self._started: str | None = None        # conversation whose visit is recorded
        self._customer: str | None = None
        self._handed_off = False
        self._rating_for: tuple[str, float] | None = None   # (conversation, when asked)

    async def _write(self, what: str, call: Callable[[VisitLog], object]) -> None:
        visits = self.visits
        if visits is None:
            return
        try:
            await asyncio.to_thread(call, visits)
        except Exception:  # the customer is served regardless
            log.exception("kiosk %s: visit record (%s) failed", self.kiosk_id, what)

    async def observe(self, conversation_id: str, fsm: SessionFSM) -> None:
        """After every state change: a new visit, an identification, a handoff."""
        if not fsm.present:
            return
        if self._started != conversation_id:
            self._started, self._customer, self._handed_off = conversation_id, None, False
            at = self.wall()
            await self._write("started", lambda v: v.started(conversation_id, self.kiosk_id, at))
        if fsm.customer_id and fsm.customer_id != self._customer:
            customer_id = self._customer = fsm.customer_id
            recognised = any(t.trigger == "face_recognized" for t in fsm.history)
            await self._write("identified", lambda v: v.identified(conversation_id, customer_id, recognised))
        if fsm.state == "handoff" and not self._handed_off:
            self._handed_off = True
            await self._write("handoff", lambda v: v.handed_off(conversation_id))

    async def turn(self, conversation_id: str, tracker: dict | None) -> None:
        latest = (tracker or {}).get("latest_message") or {}
        intent = str((latest.get("intent") or {}).get("name") or "")
        if not intent or intent.startswith("EXTERNAL_"):   # sensor events are not what customers asked
            return
        fallback = intent in FALLBACK_INTENTS or (tracker or {}).get("latest_action_name") in FALLBACK_ACTIONS
        at = self.wall()
        await self._write("turn", lambda v: v.turn(conversation_id, at, intent, fallback))

    async def handled_by(self, conversation_id: str, staff_id: str) -> None:
        await self._write("handled_by", lambda v: v.handled_by(conversation_id, staff_id))

    def ask_rating(self, conversation_id: str) -> None:
        self._rating_for = (conversation_id, self.wall())

    async def rate(self, rating: int | None) -> bool:
        """The customer's tap (None: skipped). True when a rating was stored for the visit asked about."""
        asked, self._rating_for = self._rating_for, None
        if asked is None or rating is None or self.wall() - asked[1] > RATING_WINDOW_S:
            return False
        conversation_id = asked[0]
        await self._write("rating", lambda v: v.rated(conversation_id, rating))
        return True

    async def ended(self, conversation_id: str, emotion: dict | None) -> None:
        at = self.wall()
        await self._write("ended", lambda v: v.ended(conversation_id, at, emotion))
