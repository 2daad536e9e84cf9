"""Real conversations from Rasa's tracker store, as a bot trainer reviews them: read-only, masked.

Why: every turn's intent and confidence sits in the tracker store (encrypted, bot/privacy.py reads
it), but only raw SQL reached it. A trainer needs the conversations that went wrong (fallbacks, low
confidence, hand-offs to staff) per channel and day, without seeing the customers' private data:
the customer's text goes through identity.masking (ID numbers, phones, account numbers keep their
last 4 digits, SMS codes are hidden), entity values are masked by their entity's rule, address
and reason spans are hidden entirely, and the robot's side is shown as the actions it ran, never
its text (which can name the customer or a bill)."""
from __future__ import annotations

import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from identity.masking import STAR, mask_for_slot, mask_text

FALLBACK_INTENT = "nlu_fallback"
FALLBACK_ACTIONS = {"action_two_stage_fallback", "action_default_fallback"}
HANDOFF_ACTIONS = {"action_handoff"}
HANDOFF_INTENTS = {"request_human"}
HIDDEN_ENTITIES = {"address", "reason", "sms_code", "sensor_proof"}   # free text or secrets: no part shown
DAY_S = 86400.0
UNSURE_BELOW = 0.6     # a message predicted under this confidence is one a trainer should check


def channel_of(sender: str) -> str:
    """Who spoke: the chat page (web-), the terminal chat (chat-), a kiosk (K1-...)."""
    head = sender.split("-", 1)[0] if "-" in sender else ""
    if head == "web":
        return "web"
    if head == "chat":
        return "terminal"
    return head or "other"


@dataclass(frozen=True)
class ReviewedMessage:
    at: float
    text: str                                      # masked
    intent: str
    confidence: float
    entities: tuple[tuple[str, str], ...]          # (entity, masked value)
    actions: tuple[str, ...] = ()                  # what the robot did after it

    @property
    def fallback(self) -> bool:
        return self.intent == FALLBACK_INTENT or bool(FALLBACK_ACTIONS & set(self.actions))


@dataclass(frozen=True)
class Conversation:
    sender: str
    channel: str
    messages: tuple[ReviewedMessage, ...]

    @property
    def started(self) -> float:
        return self.messages[0].at if self.messages else 0.0

    @property
    def fallback(self) -> bool:
        return any(m.fallback for m in self.messages)

    @property
    def handoff(self) -> bool:
        return any(m.intent in HANDOFF_INTENTS or HANDOFF_ACTIONS & set(m.actions) for m in self.messages)

    @property
    def lowest_confidence(self) -> float:
        return min((m.confidence for m in self.messages), default=1.0)


@dataclass(frozen=True)
class Filters:
    fallback: bool = False
    handoff: bool = False
    below: float | None = None       # some message's confidence under this
    channel: str | None = None
    since: float | None = None       # epoch seconds, inclusive
    until: float | None = None       # epoch seconds, exclusive
    intent: str | None = None
    search: str | None = None        # in the masked text

    def accepts(self, conversation: Conversation) -> bool:
        c = conversation
        checks = (not self.fallback or c.fallback, not self.handoff or c.handoff,
                  self.below is None or c.lowest_confidence < self.below,
                  self.channel is None or c.channel == self.channel,
                  self.since is None or c.started >= self.since, self.until is None or c.started < self.until,
                  self.intent is None or any(m.intent == self.intent for m in c.messages),
                  self.search is None or any(self.search in m.text for m in c.messages))
        return all(checks)


def mask_message(text: str, entities: Iterable[dict[str, Any]]) -> str:
    """Entity spans replaced by their masked value, then stray numbers masked (mask_text)."""
    spans = sorted(((e["start"], e["end"], e["entity"]) for e in entities
                    if isinstance(e.get("start"), int) and isinstance(e.get("end"), int)), reverse=True)
    out, last = text, len(text) + 1
    for start, end, entity in spans:
        if end > last or start < 0 or end > len(text):
            continue                                   # overlapping or stale span: leave it to mask_text
        out = out[:start] + _mask_value(entity, text[start:end]) + out[end:]
        last = start
    return mask_text(out)


def _mask_value(entity: str, value: str) -> str:
    if entity in HIDDEN_ENTITIES:
        return STAR * len(value)
    return mask_for_slot(entity, value)


@dataclass
class _Builder:
    sender: str
    messages: list[ReviewedMessage] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)

    def close_turn(self) -> None:
        if self.messages and self.actions:
            last = self.messages[-1]
            self.messages[-1] = ReviewedMessage(last.at, last.text, last.intent, last.confidence, last.entities,
                                                tuple(self.actions))
        self.actions = []


def review(sender: str, events: Iterable[dict[str, Any]]) -> Conversation:
    """One tracker's events -> its user messages, each with the actions that answered it."""
    built = _Builder(sender)
    for event in events:
        kind = event.get("event")
        if kind == "user":
            built.close_turn()
            parse = event.get("parse_data") or {}
            intent = parse.get("intent") or {}
            entities = [e for e in parse.get("entities") or [] if isinstance(e, dict) and "entity" in e]
            text = str(event.get("text") or "")
            built.messages.append(ReviewedMessage(
                at=float(event.get("timestamp") or 0.0), text=mask_message(text, entities),
                intent=str(intent.get("name") or ""), confidence=float(intent.get("confidence") or 0.0),
                entities=tuple((str(e["entity"]), _mask_value(str(e["entity"]), str(e.get("value", ""))))
                               for e in entities)))
        elif kind == "action" and built.messages:
            name = str(event.get("name") or "")
            if name and name not in ("action_listen", "action_session_start"):
                built.actions.append(name)
    built.close_turn()
    return Conversation(sender, channel_of(sender), tuple(built.messages))



def reviewed(store: Any, wanted: Filters) -> Iterator[Conversation]:
    """The conversations of a tracker store (bot.privacy.TrackerEvents) that pass `wanted`, newest
    first, reviewed (masked)."""
    for sender in store.senders(wanted.since):
        conversation = review(sender, store.events(sender))
        if conversation.messages and wanted.accepts(conversation):
            yield conversation

def format_conversation(conversation: Conversation) -> str:
    c = conversation
    flags = [f for f, on in (("fallback", c.fallback), ("handoff", c.handoff)) if on]
    started = time.strftime("%Y-%m-%d %H:%M", time.localtime(c.started))
    lines = [f"== {c.sender}  {c.channel}  {started}  {len(c.messages)} messages"
             + (f"  [{', '.join(flags)}]" if flags else "")]
    for m in c.messages:
        entities = " ".join(f"{name}={value}" for name, value in m.entities)
        lines.append(f"  {m.confidence:4.2f} {m.intent or '?':24} {m.text}" + (f"   {{{entities}}}" if entities else ""))
        if m.actions:
            lines.append(f"       -> {', '.join(m.actions)}")
    return "\n".join(lines)
