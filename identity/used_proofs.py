"""Where the action server remembers which sensor proofs it has acted on (identity.proof: each is
single use). In one process's memory, a proof was usable again by a second action-server process
(two workers, two robots behind one Rasa) and by the same server after a restart, when the tracker
it is sent (events since the conversation's last restart) shows no earlier use either. So the
store is shared: SQLite in the var dir by default (every process on this machine, and restarts),
Redis when HALLBOT_PROOF_STORE names one (several machines). Only a hash of each proof is kept,
until the proof could no longer pass its age check anyway."""
from __future__ import annotations

import hashlib
import sqlite3
import threading
import time
from pathlib import Path
from typing import Protocol


class UsedProofs(Protocol):
    def first_use(self, proof: str, ttl_s: float, now: float | None = None) -> bool:
        """True the first time `proof` is offered within ttl_s; False for a replay."""


def _digest(proof: str) -> str:
    return hashlib.sha256(proof.encode("utf-8")).hexdigest()


class MemoryUsedProofs:
    """One process only (tests, a single short-lived server)."""

    def __init__(self) -> None:
        self._until: dict[str, float] = {}
        self._lock = threading.Lock()

    def first_use(self, proof: str, ttl_s: float, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        key = _digest(proof)
        with self._lock:
            self._until = {p: t for p, t in self._until.items() if t > now}
            if key in self._until:
                return False
            self._until[key] = now + ttl_s
            return True


class SqliteUsedProofs:
    """Every process that opens the same file shares it; the insert is the check (primary key)."""

    def __init__(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        self._db = sqlite3.connect(path, timeout=10.0, isolation_level=None, check_same_thread=False)
        self._lock = threading.Lock()
        with self._lock:
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("CREATE TABLE IF NOT EXISTS used_proofs (digest TEXT PRIMARY KEY, until REAL NOT NULL)")

    def first_use(self, proof: str, ttl_s: float, now: float | None = None) -> bool:
        now = time.time() if now is None else now
        with self._lock:
            self._db.execute("BEGIN IMMEDIATE")
            try:
                self._db.execute("DELETE FROM used_proofs WHERE until <= ?", (now,))
                inserted = self._db.execute("INSERT OR IGNORE INTO used_proofs VALUES (?, ?)",
                                            (_digest(proof), now + ttl_s)).rowcount == 1
                self._db.execute("COMMIT")
            except BaseException:
                self._db.execute("ROLLBACK")
                raise
        return inserted

    def close(self) -> None:
        self._db.close()


class RedisUsedProofs:
    """SET NX with an expiry: atomic across every server that uses this Redis."""

    def __init__(self, url: str) -> None:
        try:
            import redis
        except ImportError as exc:   # the app venv pins it (requirements/app.txt); a clear error if missing
            raise RuntimeError("HALLBOT_PROOF_STORE is a Redis URL but the redis package is not installed") from exc
        self._client = redis.Redis.from_url(url)

    def first_use(self, proof: str, ttl_s: float, now: float | None = None) -> bool:
        # `now` is Redis's own clock here: the key expires there
        return bool(self._client.set(f"hallbot:used-proof:{_digest(proof)}", b"1", nx=True,
                                     px=max(1, int(ttl_s * 1000))))


def open_used_proofs(store: str | None, var_dir: Path) -> UsedProofs:
    """HALLBOT_PROOF_STORE: "" -> SQLite var/used_proofs.sqlite; redis://... -> Redis; "memory"."""
    if not store:
        return SqliteUsedProofs(var_dir / "used_proofs.sqlite")
    if store == "memory":
        return MemoryUsedProofs()
    if store.startswith(("redis://", "rediss://", "unix://")):
        return RedisUsedProofs(store)
    raise ValueError(f"HALLBOT_PROOF_STORE: {store!r} is neither empty, 'memory' nor a redis:// URL")
