"""When a kiosk page's connection drops, its customer has not necessarily left: the page reconnects
within a second or two (a Wi-Fi hiccup, a reload) or after an app restart, and comes back to its
conversation with a resume token (identity.proof.sign_resume). So the staff board and the dialogue
hear "customer left" only once HALLBOT_KIOSK_RESUME_S passed without the page coming back.
Shared by all kiosks of one app server; lost with it (after a restart nobody is due to leave, and
a page that does not come back leaves its conversation to the tracker store's retention)."""
from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger(__name__)


class Departures:
    def __init__(self) -> None:
        self._due: dict[str, asyncio.Task] = {}

    def later(self, conversation_id: str, leave: Callable[[], Awaitable[None]], after_s: float) -> None:
        """Run `leave` after `after_s` unless the conversation is resumed first."""
        self.cancel(conversation_id)

        async def wait_then_leave() -> None:
            await asyncio.sleep(after_s)
            self._due.pop(conversation_id, None)
            try:
                await leave()
            except Exception:
                log.exception("departure of %s failed", conversation_id)

        self._due[conversation_id] = asyncio.create_task(wait_then_leave())

    def cancel(self, conversation_id: str) -> bool:
        """The page came back: the customer never left. True when a departure was due."""
        task = self._due.pop(conversation_id, None)
        if task is None:
            return False
        task.cancel()
        return True

    def due(self, conversation_id: str) -> bool:
        return conversation_id in self._due
