"""Each customer message is handled once, however often the app sends it. The app gives every turn
a message id and, when an answer is lost (Rasa restarting, a timeout), sends the same turn again
with the same id: run twice, "我要交电费" would start a second payment form and a button press
would act twice.

- While the first attempt is still running (the app timed out before Rasa did), a repeat waits
  for it and gets its answer; once it is done, a repeat gets the same answer from memory.
- After a Rasa restart memory is empty, but the tracker store keeps each user event's message
  id: a repeat marked `retry` whose id is already there was handled before the restart; it is not
  run again and is answered with the state only (the replies of that turn were lost with the
  process that made them).
Only ids of a bounded number of recent turns are kept."""
from __future__ import annotations

import asyncio
import re
from collections import OrderedDict
from collections.abc import Awaitable, Callable
from typing import Any

MESSAGE_ID = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
KEPT = 2048   # recent turns remembered (all conversations together)


class TurnLedger:
    def __init__(self, kept: int = KEPT) -> None:
        self.kept = kept
        self._turns: OrderedDict[tuple[str, str], asyncio.Future] = OrderedDict()

    def knows(self, sender: str, message_id: str) -> bool:
        return (sender, message_id) in self._turns

    async def once(self, sender: str, message_id: str,
                   run: Callable[[], Awaitable[Any]]) -> tuple[Any, bool]:
        """(answer, repeated): run's answer, or the first attempt's when this id was seen."""
        key = (sender, message_id)
        seen = self._turns.get(key)
        if seen is not None:
            return await asyncio.shield(seen), True
        future: asyncio.Future = asyncio.get_running_loop().create_future()
        self._turns[key] = future
        while len(self._turns) > self.kept:
            self._turns.popitem(last=False)
        try:
            answer = await run()
        except BaseException as error:
            self._turns.pop(key, None)       # failed: a repeat may try again
            future.set_exception(error)
            future.exception()               # retrieved: no "never retrieved" warning
            raise
        future.set_result(answer)
        return answer, False


def handled_before(events: list[Any], message_id: str) -> bool:
    """Whether the tracker's events hold a user message with this id (Rasa's UserUttered)."""
    return any(getattr(e, "message_id", None) == message_id and type(e).__name__ == "UserUttered"
               for e in events)
