"""Retention and data-subject requests for what the robot itself keeps (PIPL).

The robot stores: conversations (Rasa's tracker store, encrypted with var/tracker.key), face
templates and consents (vision store), SMS verification state (var/hall.sqlite) and the demo
SMS outbox, and its logs. `prune` deletes what is older than the retention limits and runs at
`hallbot run` start and once a day after; `export` gathers one customer's data; `delete` erases
the robot's copy of it. The customer file itself (name, accounts, bills) belongs to the utility's
business system: it is exported read-only here and deleted there, not by the robot; only its
link to the robot's face gallery (the record's face id) is cleared when the face is erased.

`erase_face` is the one way a customer's face leaves the robot: the kiosk (the customer asks and
confirms), the staff console (a member of staff, on the customer's request) and `hallbot privacy
delete` all call it. It reaches the templates and consent rows (SQL), the ANN index, the
recently-served memory and the face service's sessions (when it runs in the process that holds
them, the app server; from another process the app's gallery refresh drops index entries and
recently-served memory within seconds, vision/service.py) and the business record's face id.
"""
from __future__ import annotations

import json
import sqlite3
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Protocol

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


def tracker_events(var_dir: Path, tracker_db: str | None) -> TrackerEvents:
    """The tracker store, with the key that unseals its rows."""
    return TrackerEvents(tracker_url(var_dir, tracker_db), keys.secret(keys.TRACKER_KEY, var_dir))


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

    def senders(self, since: float | None = None) -> list[str]:
        """Conversations with an event at or after `since` (all when None), most recent first."""
        if not self._exists():
            return []
        with self.engine.connect() as conn:
            rows = conn.execute(text("SELECT sender_id FROM events GROUP BY sender_id HAVING max(timestamp) >= :since "
                                     "ORDER BY max(timestamp) DESC"), {"since": since or 0.0}).all()
        return [sender for (sender,) in rows]

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
    events = tracker_events(var_dir, tracker_db)
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


# -- face erasure (consent withdrawn) ---------------------------------------------------------------
class FaceForgetter(Protocol):
    """What keeps faces: vision.service.FaceService in the app server, StoredFaces elsewhere."""
    def delete_customer(self, customer_id: str) -> dict[str, int]: ...


class FaceIdHolder(Protocol):
    """The business system's side (business.adapter.BusinessSystem.clear_face_id)."""
    def clear_face_id(self, customer_id: str) -> bool: ...


class StoredFaces:
    """The face store alone, for a process without the face service (the CLI, a text-only app):
    the SQL rows. The running app's FaceService notices at its next gallery refresh (REFRESH_S,
    5 s) and drops the index entries and the recently-served memory itself."""

    def __init__(self, face_db_url: str) -> None:
        self.store = _face_store(face_db_url)

    def delete_customer(self, customer_id: str) -> dict[str, int]:
        templates, consents = self.store.delete_customer(customer_id)
        return {"templates": templates, "consents": consents}

    def close(self) -> None:
        self.store.close()


@dataclass(frozen=True)
class FaceErasure:
    """What erase_face removed, by store. business_error: the business system could not clear the
    record's face id (its code); everything else is gone, the record's link is left for staff."""
    templates: int = 0          # encrypted face templates (SQL)
    consents: int = 0           # recorded consents (SQL): a new enrolment asks again
    index: int = 0              # ANN index entries of the running face service
    recent: int = 0             # 1: the recently-served memory knew the customer
    sessions: int = 0           # face-service sessions that had seen the customer
    business_face_id: int = 0   # 1: the business record had a face id, now cleared
    business_error: str = ""

    @property
    def complete(self) -> bool:
        return not self.business_error

    def to_dict(self) -> dict[str, int | str]:
        return asdict(self)


def erase_face(customer_id: str, faces: FaceForgetter, business: FaceIdHolder | None) -> FaceErasure:
    """Withdraw the customer's face-recognition consent and delete their face from every store.
    Blocking (SQL, and the business system over HTTP): the app calls it in a worker thread.
    Local stores first: whatever the business system does, the face is not recognised again."""
    from business.adapter import BusinessError, NotFound

    if not customer_id:
        raise ValueError("erase_face needs a customer id")
    counts = faces.delete_customer(customer_id)
    cleared, error = 0, ""
    if business is not None:
        try:
            cleared = int(business.clear_face_id(customer_id))
        except NotFound:        # no business record (a walk-in without a file): no link to clear
            pass
        except BusinessError as exc:
            error = exc.code
    known = {k: int(v) for k, v in counts.items() if k in ("templates", "consents", "index", "recent", "sessions")}
    return FaceErasure(**known, business_face_id=cleared, business_error=error)


def export(customer_id: str, *, var_dir: Path, tracker_db: str | None, face_db_url: str,
           business: Any = None) -> dict[str, Any]:
    """Everything the robot holds about one customer, for the customer (their own data, in clear)."""
    events = tracker_events(var_dir, tracker_db)
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


class _Unreachable:
    def clear_face_id(self, customer_id: str) -> bool:
        from business.adapter import ServiceUnavailable
        raise ServiceUnavailable()


def eraser(faces: FaceForgetter | None, face_db_url: str,
           business: Callable[[], FaceIdHolder]) -> Callable[[str], FaceErasure]:
    """erase_face bound to this process's stores: the running face service when there is one (the
    app server with vision), else the face store itself; the business system opened when needed."""
    def erase(customer_id: str) -> FaceErasure:
        try:
            biz: FaceIdHolder = business()
        except Exception:  # noqa: BLE001 - cannot even open it: the face still goes, the link is reported
            biz = _Unreachable()
        if faces is not None:
            return erase_face(customer_id, faces, biz)
        stored = StoredFaces(face_db_url)
        try:
            return erase_face(customer_id, stored, biz)
        finally:
            stored.close()
    return erase


def delete(customer_id: str, *, var_dir: Path, tracker_db: str | None, face_db_url: str,
           phones: Iterable[str] = (), business: FaceIdHolder | None = None) -> dict[str, int | str]:
    """Erase the robot's copy: conversations, the face (erase_face: templates, consents, the
    business record's face id), SMS state of the phones."""
    events = tracker_events(var_dir, tracker_db)
    try:
        senders = events.senders_of(customer_id)
        deleted_events = events.delete(senders)
    finally:
        events.close()
    faces = StoredFaces(face_db_url)
    try:
        erased = erase_face(customer_id, faces, business)
    finally:
        faces.close()
    sms = 0
    db = _sms_db(var_dir)
    if db is not None:
        with db:
            for phone in phones:
                sms += db.execute("DELETE FROM sms_state WHERE phone = ?", (phone,)).rowcount
        db.close()
    report: dict[str, int | str] = {"conversations": len(senders), "events": deleted_events,
                                    "face_templates": erased.templates, "face_consents": erased.consents,
                                    "business_face_id": erased.business_face_id, "sms_states": sms}
    if erased.business_error:
        report["business_error"] = erased.business_error
    return report
