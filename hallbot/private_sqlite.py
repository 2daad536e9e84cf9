"""One SQLite file of the robot's own records (visits, risk reviews, staff sessions).

Created with mode 600 before SQLite opens it, so no umask leaves it readable for a moment; one
connection in autocommit mode shared by the app's threads behind one lock (SQLite would serialise
the writes anyway, and a lock is cheaper than a connection per call). Subclasses give the schema
and the queries; several statements that must not interleave run inside `locked()`."""
from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


class PrivateSqlite:
    def __init__(self, path: str | Path, schema: str) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        if not self.path.exists():
            os.close(os.open(self.path, os.O_WRONLY | os.O_CREAT, 0o600))
        self._lock = threading.Lock()
        self._db = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
        self._db.executescript(schema)

    def close(self) -> None:
        self._db.close()

    def execute(self, sql: str, args: tuple = ()) -> int:
        """One statement; the number of rows it changed."""
        with self._lock:
            return self._db.execute(sql, args).rowcount

    def query(self, sql: str, args: tuple = ()) -> list[tuple]:
        with self._lock:
            return self._db.execute(sql, args).fetchall()

    @contextmanager
    def locked(self) -> Iterator[sqlite3.Connection]:
        """The connection, for statements that go together (no other thread's in between)."""
        with self._lock:
            yield self._db
