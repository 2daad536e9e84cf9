"""Buttons the server offered, per conversation. Pages get {"title", "id"}; a tap sends the id
back and the server maps it to the payload it kept. A client can therefore only press buttons
the dialogue (or the kiosk's fixed menu) offered, never send an intent of its own choosing."""
from __future__ import annotations

import secrets
from collections import OrderedDict
from dataclasses import dataclass, field

from bot.rasa_client import BotMessage

# The kiosk page's business menu (bot/static/kiosk.html: data-button="menu:<intent>").
KIOSK_MENU = {f"menu:{intent}": f"/{intent}" for intent in (
    "query_bill", "pay_bill", "query_arrears", "print_invoice", "report_outage", "query_outage_plan",
    "new_connection", "capacity_increase", "transfer_ownership", "close_account", "use_id_card", "request_human",
    "delete_face")}


@dataclass
class Pressed:
    payload: str
    title: str


@dataclass
class OfferedButtons:
    fixed: dict[str, str] = field(default_factory=dict)   # ids valid in every conversation
    per_conversation: int = 60                            # the latest offers of one conversation
    conversations: int = 2000                             # oldest conversations forgotten first
    _offers: OrderedDict[str, OrderedDict[str, Pressed]] = field(default_factory=OrderedDict)

    def offer(self, conversation_id: str, message: BotMessage) -> list[dict[str, str]]:
        """The message's buttons as the page sees them: a title and an id."""
        if not message.buttons:
            return []
        offers = self._offers.pop(conversation_id, None) or OrderedDict()
        self._offers[conversation_id] = offers
        shown = []
        for button in message.buttons:
            button_id = secrets.token_urlsafe(6)
            offers[button_id] = Pressed(str(button.get("payload") or ""), str(button.get("title") or ""))
            shown.append({"title": str(button.get("title") or ""), "id": button_id})
        while len(offers) > self.per_conversation:
            offers.popitem(last=False)
        while len(self._offers) > self.conversations:
            self._offers.popitem(last=False)
        return shown

    def press(self, conversation_id: str, button_id: str) -> Pressed | None:
        """The payload behind an id offered in this conversation; None for anything else."""
        if button_id in self.fixed:
            return Pressed(self.fixed[button_id], "")
        offers = self._offers.get(conversation_id)
        return offers.get(button_id) if offers is not None else None

    def forget(self, conversation_id: str) -> None:
        self._offers.pop(conversation_id, None)
