"""Two actions for tests/actions/test_action_deadline.py: one that blocks far past any deadline
(a hung business call: synchronous, as ours are) and one that answers at once."""
from __future__ import annotations

import time

from rasa_sdk import Action


class ActionHang(Action):
    def name(self) -> str:
        return "action_hang"

    async def run(self, dispatcher, tracker, domain):
        time.sleep(60)   # blocking on purpose: a stuck synchronous call, not a polite await
        dispatcher.utter_message(text="too late")
        return []


class ActionQuick(Action):
    def name(self) -> str:
        return "action_quick"

    async def run(self, dispatcher, tracker, domain):
        dispatcher.utter_message(text="quick answer")
        return []
