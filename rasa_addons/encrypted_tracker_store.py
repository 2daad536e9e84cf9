"""Rasa's SQL tracker store with every event's data encrypted (Fernet: AES-128-CBC + HMAC-SHA256).

Why: a tracker holds what customers typed and said and the slots the actions set: ID numbers,
phone numbers, SMS codes, names, bills (PIPL personal information). Stock Rasa writes them as clear
JSON into var/tracker.sqlite or PostgreSQL. Here the `data` column holds a Fernet token instead;
the key lives in a file outside the store (var/tracker.key, 0600), so a copied database or backup
is unreadable without it. `type_name`, `intent_name`, `action_name`, `timestamp` stay clear: Rasa's
queries need them and they hold no personal data.

Rows written before encryption (clear JSON) are still read, so an existing robot keeps its
conversations; they are not rewritten. A row that is neither valid clear JSON nor decrypts with
the key fails loudly: silently dropping events would corrupt the conversation.

Pinned to Rasa 3.6.21: `save` and `_retrieve` mirror SQLTrackerStore's own, changing only how
`data` is written and read (tests/dialogue/test_dialogue_tracker_encryption.py checks both stores).
"""
from __future__ import annotations

import json
import logging
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from rasa.core.tracker_store import SQLTrackerStore
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY

from identity.keys import fernet_key  # stdlib only: safe to import inside Rasa's venv

log = logging.getLogger(__name__)


class EncryptedSQLTrackerStore(SQLTrackerStore):
    """`type: rasa_addons.encrypted_tracker_store.EncryptedSQLTrackerStore` in endpoints.yml, with
    `key_file` beside the usual SQL settings (bot/rasa_service.py writes it)."""

    def __init__(self, domain: Any = None, key_file: str = "", **kwargs: Any) -> None:
        if not key_file:
            raise ValueError("EncryptedSQLTrackerStore needs key_file (the tracker key, outside the store)")
        secret = Path(key_file).read_text(encoding="ascii").strip()
        if not secret:
            raise ValueError(f"{key_file} is empty")
        self._fernet = Fernet(fernet_key(secret))
        super().__init__(domain=domain, **kwargs)

    def seal(self, data: dict) -> str:
        return self._fernet.encrypt(json.dumps(data).encode("utf-8")).decode("ascii")

    def unseal(self, stored: str) -> dict:
        try:
            return json.loads(self._fernet.decrypt(stored.encode("ascii")))
        except InvalidToken:
            if stored.lstrip().startswith("{"):
                return json.loads(stored)   # written before encryption was switched on
            raise

    async def _retrieve(self, sender_id: str, fetch_events_from_all_sessions: bool) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            rows = self._event_query(session, sender_id,
                                     fetch_events_from_all_sessions=fetch_events_from_all_sessions).all()
            events = [self.unseal(row.data) for row in rows]
            if self.domain and events:
                return DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
            return None

    async def save(self, tracker: DialogueStateTracker) -> None:
        await self.stream_events(tracker)
        with self.session_scope() as session:
            for event in self._additional_events(session, tracker):
                data = event.as_dict()
                session.add(self.SQLEvent(
                    sender_id=tracker.sender_id, type_name=event.type_name, timestamp=data.get("timestamp"),
                    intent_name=data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    action_name=data.get("name"), data=self.seal(data)))
            session.commit()
