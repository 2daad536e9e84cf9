"""Rasa's RabbitMQ event broker with each event's content encrypted (Fernet, the tracker store's key).

Why: every event Rasa publishes carries what the customer said and the slots the actions set (ID
numbers, phones, SMS codes, names, bills), and the stock broker sends it to the queue as clear
JSON, where any consumer, the broker's disk and its management UI see it; its own error log line
also prints the event when RabbitMQ is down. Here the message is an envelope: event type, sender
and timestamp stay clear for routing and counting, the event itself is a Fernet token under
var/tracker.key. A consumer with the key reads it back:
`json.loads(Fernet(identity.keys.fernet_key(secret)).decrypt(envelope["encrypted"]))`.

Pinned to Rasa 3.6.21: only `publish` is wrapped; connection, queues and retries are the stock ones.
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet
from rasa.core.brokers.pika import PikaEventBroker

from identity.keys import fernet_key  # stdlib only: safe to import inside Rasa's venv


def envelope(fernet: Fernet, event: dict[str, Any]) -> dict[str, Any]:
    token = fernet.encrypt(json.dumps(event, ensure_ascii=False).encode("utf-8")).decode("ascii")
    return {"event": event.get("event"), "sender_id": event.get("sender_id"), "timestamp": event.get("timestamp"),
            "encrypted": token}


class EncryptedPikaEventBroker(PikaEventBroker):
    """`type: rasa_addons.encrypted_event_broker.EncryptedPikaEventBroker` in endpoints.yml, with
    `key_file` beside the usual pika settings (bot/rasa_service.py writes it)."""

    def __init__(self, host: str, *args: Any, key_file: str = "", **kwargs: Any) -> None:
        if not key_file:
            raise ValueError("EncryptedPikaEventBroker needs key_file (the tracker key)")
        secret = Path(key_file).read_text(encoding="ascii").strip()
        if not secret:
            raise ValueError(f"{key_file} is empty")
        self._fernet = Fernet(fernet_key(secret))
        super().__init__(host, *args, **kwargs)

    def publish(self, event: dict[str, Any], headers: dict[str, str] | None = None) -> None:
        super().publish(envelope(self._fernet, event), headers)
