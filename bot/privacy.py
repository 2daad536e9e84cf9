"""Retention and data-subject requests for what the robot itself keeps (PIPL).

The robot stores: conversations (Rasa's tracker store, encrypted with var/tracker.key), face
templates and consents (vision store), SMS verification state (var/hall.sqlite) and the demo
SMS outbox, and its logs. `prune` deletes what is older than the retention limits and runs at
`hallbot run` start and once a day after; `export` gathers one customer's data; `delete` erases
the robot's copy of it. The customer file itself (name, accounts, bills) belongs to the utility's
business system: it is exported read-only here and deleted there, not by the robot.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from cryptography.fernet import Fernet, InvalidToken
from sqlalchemy import create_engine, text
from sqlalchemy.engine import Engine

from identity import keys

DAY_S = 86400.0


@dataclass(frozen=True)
class Retention:
    conversations_days: float = 30.0   # a conversation's last event older than this: deleted
    sms_days: float = 7.0              # SMS verification state and outbox lines
    logs_days: float = 30.0            # rotated log files (the live log rotates by size)


@dataclass(frozen=True)
class PruneReport:
    conversations: int = 0
    events: int = 0
    sms_states: int = 0
    sms_outbox_lines: int = 0
    log_files: int = 0

    def to_dict(self) -> dict[str, int]:
        return asdict(self)


def tracker_url(var_dir: Path, tracker_db: str | None) -> str:
    """The tracker store's database as SQLAlchemy sees it from the app's venv."""
    if not tracker_db:
        return f"sqlite:///{var_dir / 'tracker.sqlite'}"
    scheme, rest = tracker_db.split("://", 1)
    return f"postgresql+psycopg://{rest}" if scheme in ("postgres", "postgresql") else tracker_db


class TrackerEvents:
    """Read and delete rows of Rasa's `events` table (schema of Rasa 3.6's SQLTrackerStore) without Rasa."""

    def __init__(self, url: str, key_secret: str) -> None:
        self.engine: Engine = create_engine(url, future=True)
        self.fernet = Fernet(keys.fernet_key(key_secret))

    def _exists(self) -> bool:
        from sqlalchemy import inspect
        return inspect(self.engine).has_table("events")

    def unseal(self, data: str) -> dict[str, Any]:
        try:
            return json.loads(self.fernet.decrypt(data.encode("ascii")))
        except InvalidToken:
            return json.loads(data)   # a row from before encryption

    def stale_senders(self, cutoff: float) -> list[str]:
        if not self._exists():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) < :cutoff"),
                                {"cutoff": cutoff}).all()
        return [sender for (sender,) in rows]

    def senders_of(self, customer_id: str) -> list[str]:
        """Conversations in which the customer was identified (a customer_id slot event names them)."""
        if not self._exists():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id, data FROM events WHERE type_name = 'slot'")).all()
        found = []
        for sender, data in rows:
            event = self.unseal(data)
            if event.get("name") == "customer_id" and event.get("value") == customer_id and sender not in found:
                found.append(sender)
        return found

    def events(self, sender: str) -> list[dict[str, Any]]:
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT data FROM events WHERE sender_id = :s ORDER BY id"), {"s": sender}).all()
        return [self.unseal(data) for (data,) in rows]

    def delete(self, senders: Iterable[str]) -> int:
        deleted = 0
        with self.engine.begin() as conn:
            for sender in senders:
                deleted += conn.execute(text("DELETE FROM events WHERE sender_id = :s"), {"s": sender}).rowcount or 0
        return deleted

    def close(self) -> None:
        self.engine.dispose()


def _sms_db(var_dir: Path) -> sqlite3.Connection | None:
    path = var_dir / "hall.sqlite"
    if not path.exists():
        return None
    db = sqlite3.connect(path, timeout=10, isolation_level=None)
    has_table = db.execute("SELECT 1 FROM sqlite_master WHERE type='table' AND name='sms_state'").fetchone()
    if not has_table:
        db.close()
        return None
    return db


def _prune_sms(var_dir: Path, cutoff: float, now: float) -> tuple[int, int]:
    states = 0
    db = _sms_db(var_dir)
    if db is not None:
        with db:   # a lock still running is kept: pruning must not unlock a phone early
            states = db.execute("DELETE FROM sms_state WHERE coalesce(sent_at, 0) < ? AND coalesce(locked_until, 0) < ?",
                                (cutoff, now)).rowcount
        db.close()
    outbox, dropped = var_dir / "sms_outbox.jsonl", 0
    if outbox.exists():
        kept = []
        for line in outbox.read_text(encoding="utf-8").splitlines():
            try:
                fresh = float(json.loads(line).get("ts", 0)) >= cutoff
            except (ValueError, AttributeError):
                fresh = False   # unreadable lines are dropped, not kept for ever
            if fresh:
                kept.append(line)
            else:
                dropped += 1
        if dropped:
            tmp = outbox.with_suffix(".tmp")
            tmp.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
            tmp.replace(outbox)
    return states, dropped


def _prune_logs(log_dir: Path, cutoff: float) -> int:
    removed = 0
    if log_dir.is_dir():
        for path in log_dir.glob("*.log.*"):   # rotated files only; the live log is bounded by size
            if path.is_file() and path.stat().st_mtime < cutoff:
                path.unlink()
                removed += 1
    return removed


def prune(var_dir: Path, tracker_db: str | None, retention: Retention = Retention(),
          now: float | None = None) -> PruneReport:
    now = time.time() if now is None else now
    events = TrackerEvents(tracker_url(var_dir, tracker_db), keys.secret(keys.TRACKER_KEY, var_dir))
    try:
        stale = events.stale_senders(now - retention.conversations_days * DAY_S)
        deleted_events = events.delete(stale)
    finally:
        events.close()
    states, lines = _prune_sms(var_dir, now - retention.sms_days * DAY_S, now)
    return PruneReport(conversations=len(stale), events=deleted_events, sms_states=states, sms_outbox_lines=lines,
                       log_files=_prune_logs(var_dir / "logs", now - retention.logs_days * DAY_S))


def _face_store(face_db_url: str):
    from vision.store import FaceStore
    return FaceStore(face_db_url)


def export(customer_id: str, *, var_dir: Path, tracker_db: str | None, face_db_url: str,
           business: Any = None) -> dict[str, Any]:
    """Everything the robot holds about one customer, for the customer (their own data, in clear)."""
    events = TrackerEvents(tracker_url(var_dir, tracker_db), keys.secret(keys.TRACKER_KEY, var_dir))
    try:
        conversations = [{"conversation": sender,
                          "turns": [{"time": e.get("timestamp"), "who": e["event"], "text": e.get("text")}
                                    for e in events.events(sender) if e.get("event") in ("user", "bot")]}
                         for sender in events.senders_of(customer_id)]
    finally:
        events.close()
    faces = _face_store(face_db_url)
    try:
        face = faces.describe_customer(customer_id)
    finally:
        faces.close()
    record: dict[str, Any] = {"customer_id": customer_id, "conversations": conversations, "face": face}
    if business is not None:
        customer = business.find_customer(customer_id=customer_id)
        record["business_file"] = asdict(customer) if customer else None
    return record


def delete(customer_id: str, *, var_dir: Path, tracker_db: str | None, face_db_url: str,
           phones: Iterable[str] = ()) -> dict[str, int]:
    """Erase the robot's copy: conversations, face templates and consents, SMS state of the phones."""
    events = TrackerEvents(tracker_url(var_dir, tracker_db), keys.secret(keys.TRACKER_KEY, var_dir))
    try:
        senders = events.senders_of(customer_id)
        deleted_events = events.delete(senders)
    finally:
        events.close()
    faces = _face_store(face_db_url)
    try:
        templates, consents = faces.delete_customer(customer_id)
    finally:
        faces.close()
    sms = 0
    db = _sms_db(var_dir)
    if db is not None:
        with db:
            for phone in phones:
                sms += db.execute("DELETE FROM sms_state WHERE phone = ?", (phone,)).rowcount
        db.close()
    return {"conversations": len(senders), "events": deleted_events, "face_templates": templates,
            "face_consents": consents, "sms_states": sms}
