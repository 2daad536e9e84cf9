"""What a kiosk tells the staff console, as a Protocol: `bot.staff.board.HallBoard` implements it.
The kiosk calls these methods by name in code (mypy checks them), never by a method-name string."""
from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Protocol, runtime_checkable

from hallbot import payloads

from .notices import Notice

AckCallback = Callable[[Notice], Awaitable[None] | None]


@runtime_checkable
class StaffBoard(Protocol):
    async def customer_arrived(self, kiosk_id: str, session_id: str, customer_id: str | None,
                               recently_served: bool = False,
                               recommendations: tuple[payloads.Recommendation, ...] | None = None) -> object: ...

    async def handoff_requested(self, kiosk_id: str, session_id: str, payload: payloads.Handoff | dict) -> object: ...

    async def enrolment_assist(self, kiosk_id: str, session_id: str, reason: str,
                               customer_id: str | None = None) -> object: ...

    async def customer_left(self, kiosk_id: str, session_id: str) -> object: ...

    async def risk_review(self, kiosk_id: str, session_id: str, payload: payloads.RiskReview,
                          evidence: dict) -> object:
        """A paused sensitive operation for staff to approve or refuse; `evidence`: the kiosk's own."""
        ...

    def on_review(self, callback: AckCallback) -> Callable[[], None]:
        """Call `callback(notice)` when staff decide a risk review; returns the unsubscribe."""
        ...

    def on_ack(self, callback: AckCallback) -> Callable[[], None]:
        """Call `callback(notice)` when staff acknowledge a notice; returns the unsubscribe."""
        ...
