"""Server-side staff console sessions: the cookie holds only a random token, the server keeps its
SHA-256 (var/staff_sessions.sqlite, mode 600) with the staff member, a CSRF token and whether the
password must be changed first. Logout deletes the row, so a copied cookie stops working; logins
survive an app restart."""
from __future__ import annotations

import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from hallbot.private_sqlite import PrivateSqlite

MAX_AGE_S = 12 * 3600          # one working day


@dataclass(frozen=True)
class StaffSession:
    staff_id: str
    name: str
    csrf: str
    must_change_password: bool
    expires: float

    @property
    def me(self) -> dict:
        return {"staff_id": self.staff_id, "name": self.name}


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class StaffSessions(PrivateSqlite):
    def __init__(self, path: str | Path, max_age_s: float = MAX_AGE_S, clock: Callable[[], float] = time.time,
                 max_sessions: int = 5000) -> None:
        super().__init__(path, """CREATE TABLE IF NOT EXISTS staff_sessions (token_sha256 TEXT PRIMARY KEY,
            staff_id TEXT NOT NULL, name TEXT NOT NULL, csrf TEXT NOT NULL, must_change INTEGER NOT NULL,
            expires REAL NOT NULL)""")
        self.max_age_s, self.clock, self.max_sessions = max_age_s, clock, max_sessions

    def create(self, staff_id: str, name: str, must_change_password: bool = False) -> tuple[str, StaffSession]:
        """A new session: (the cookie's token, the session)."""
        token, now = secrets.token_urlsafe(32), self.clock()
        session = StaffSession(staff_id, name, secrets.token_urlsafe(24), must_change_password, now + self.max_age_s)
        with self.locked() as db:
            db.execute("DELETE FROM staff_sessions WHERE expires <= ?", (now,))
            db.execute("INSERT INTO staff_sessions VALUES (?,?,?,?,?,?)",
                       (_digest(token), staff_id, name, session.csrf, int(must_change_password), session.expires))
            count = db.execute("SELECT COUNT(*) FROM staff_sessions").fetchone()[0]
            if count > self.max_sessions:   # bounded: the oldest logins go first
                db.execute("DELETE FROM staff_sessions WHERE token_sha256 IN (SELECT token_sha256 FROM "
                                 "staff_sessions ORDER BY expires LIMIT ?)", (count - self.max_sessions,))
        return token, session

    def get(self, token: str | None) -> StaffSession | None:
        if not token or len(token) > 128:
            return None
        rows = self.query("SELECT staff_id, name, csrf, must_change, expires FROM staff_sessions "
                          "WHERE token_sha256=?", (_digest(token),))
        row = rows[0] if rows else None
        if row is None or row[4] <= self.clock():
            return None
        return StaffSession(row[0], row[1], row[2], bool(row[3]), row[4])

    def revoke(self, token: str | None) -> None:
        if token:
            self.execute("DELETE FROM staff_sessions WHERE token_sha256=?", (_digest(token),))

    def revoke_staff(self, staff_id: str, keep: str | None = None) -> None:
        """Every session of `staff_id` except `keep` (after a password change)."""
        self.execute("DELETE FROM staff_sessions WHERE staff_id=? AND token_sha256<>?",
                     (staff_id, _digest(keep) if keep else ""))

    def password_changed(self, token: str) -> None:
        self.execute("UPDATE staff_sessions SET must_change=0 WHERE token_sha256=?", (_digest(token),))
