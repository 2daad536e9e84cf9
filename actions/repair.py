"""Conversation repair: "啊？/没听清/再说一遍" gets the robot's last answer again, not a fresh
greeting (before, NLU heard a greeting and the opening line came back). Inside a form the rules let
the form ask its question again instead, so the question is not said twice."""
from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker

from hallbot import payloads as P

NOTHING_YET = "我刚才还没有说什么。请问有什么可以帮您？您可以说“查电费”“交电费”“报修”等。"
# payloads the app acts on (bot/kiosk, bot/staff): said again, they would call staff a second time
ACTING = frozenset({"handoff", "staff_intervention", "face_enrolment", "face_deletion"})
# what a bot event's data may carry back to the channel (rasa's BotUttered data keys)
RESENT_KEYS = ("buttons", "image", "attachment", "custom", "elements", "quick_replies")


def last_answer(events: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The bot messages between the customer's previous message and this one (the repeat request)."""
    users = [i for i, e in enumerate(events) if e.get("event") == "user"]
    if len(users) < 2:
        start, end = 0, users[-1] if users else len(events)
    else:
        start, end = users[-2], users[-1]
    return [e for e in events[start:end] if e.get("event") == "bot" and (e.get("text") or e.get("data"))]


class ActionRepeat(Action):
    def name(self) -> str:
        return "action_repeat"

    async def run(self, dispatcher, tracker: Tracker, domain):
        if tracker.active_loop.get("name"):
            return []      # the form asks its question again right after (stories/rules.yml)
        said = last_answer(tracker.events)
        if not said:
            dispatcher.utter_message(text=NOTHING_YET)
            return []
        for event in said:
            data = event.get("data") or {}
            extra = {k: data[k] for k in RESENT_KEYS if data.get(k)}
            card = resent_card(extra.pop("custom", None))
            dispatcher.utter_message(text=event.get("text"), json_message=P.payload_from_dict(card).to_dict()
                                     if card else None, **extra)
        return []


def resent_card(custom: Any) -> dict | None:
    """A card sent before, to draw again: only screen cards of hallbot.payloads. Payloads that make
    the app act (a staff handoff, a face capture or deletion) must not happen twice."""
    if not isinstance(custom, dict):
        return None
    try:
        payload = P.payload_from_dict(custom)
    except P.PayloadError:
        return None
    return custom if payload.rendered and payload.type not in ACTING else None
