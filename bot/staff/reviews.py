"""Every risk review, logged (seed 002): when the operation was paused, the evidence staff saw (the
emotion verdict: labels and counts, never an image), who decided what and when. The board's
notices live in memory for the live console; this log is the record, kept across restarts in
var/risk_reviews.sqlite (mode 600) and read by the operations dashboard."""
from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from hallbot.private_sqlite import PrivateSqlite


@dataclass(frozen=True)
class ReviewRecord:
    review_id: str
    kiosk_id: str
    session_id: str
    operation: str
    customer_id: str | None
    evidence: dict
    opened_at: float
    decision: str | None = None      # approved / refused; None while open
    decided_by: str | None = None
    decided_at: float | None = None


class ReviewLog(PrivateSqlite):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path, """CREATE TABLE IF NOT EXISTS risk_reviews (review_id TEXT PRIMARY KEY,
            kiosk_id TEXT NOT NULL, session_id TEXT NOT NULL, operation TEXT NOT NULL, customer_id TEXT,
            evidence TEXT NOT NULL, opened_at REAL NOT NULL, decision TEXT, decided_by TEXT, decided_at REAL)""")

    def opened(self, record: ReviewRecord) -> None:
        self.execute("INSERT OR IGNORE INTO risk_reviews VALUES (?,?,?,?,?,?,?,?,?,?)",
                     (record.review_id, record.kiosk_id, record.session_id, record.operation,
                      record.customer_id, json.dumps(record.evidence, ensure_ascii=False),
                      record.opened_at, None, None, None))

    def decided(self, review_id: str, decision: str, staff_id: str, at: float) -> bool:
        """Record the first decision only (a second click changes nothing); True when recorded."""
        return self.execute("UPDATE risk_reviews SET decision=?, decided_by=?, decided_at=? "
                            "WHERE review_id=? AND decision IS NULL", (decision, staff_id, at, review_id)) == 1

    def get(self, review_id: str) -> ReviewRecord | None:
        rows = self._select("WHERE review_id=?", (review_id,))
        return rows[0] if rows else None

    def between(self, start: float, end: float) -> list[ReviewRecord]:
        return self._select("WHERE opened_at >= ? AND opened_at < ? ORDER BY opened_at", (start, end))

    def _select(self, where: str, args: tuple) -> list[ReviewRecord]:
        rows = self.query(f"SELECT * FROM risk_reviews {where}", args)
        return [ReviewRecord(r[0], r[1], r[2], r[3], r[4], json.loads(r[5]), r[6], r[7], r[8], r[9]) for r in rows]
