"""The record of each kiosk visit (seeds 002, 003): when it began and ended, whether the customer was
recognised by face, identified another way or stayed anonymous, whether staff took over and who,
each dialogue turn's intent (and whether it fell back), the one-tap rating at farewell and the
emotion trend of the visit (labels only). The operations dashboard (bot/staff/dashboard.py) reads
it; var/visits.sqlite (mode 600). No names, phones or texts: ids, codes and counts."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hallbot.private_sqlite import PrivateSqlite

RATINGS = {3: "满意", 2: "一般", 1: "不满意"}   # the page's one-tap answers


@dataclass(frozen=True)
class Visit:
    conversation_id: str
    kiosk_id: str
    started_at: float
    ended_at: float | None
    customer_id: str | None
    recognised: bool               # by face at the kiosk
    handed_off: bool
    handled_by: str | None         # staff id who took the handoff
    rating: int | None             # RATINGS; None = not asked, skipped or not answered
    emotion_dominant: str | None
    negative_share: float | None


@dataclass(frozen=True)
class TurnRecord:
    conversation_id: str
    at: float
    intent: str
    fallback: bool


class VisitLog(PrivateSqlite):
    def __init__(self, path: str | Path) -> None:
        super().__init__(path, """
            CREATE TABLE IF NOT EXISTS visits (conversation_id TEXT PRIMARY KEY, kiosk_id TEXT NOT NULL,
                started_at REAL NOT NULL, ended_at REAL, customer_id TEXT, recognised INTEGER NOT NULL DEFAULT 0,
                handed_off INTEGER NOT NULL DEFAULT 0, handled_by TEXT, rating INTEGER, emotion_dominant TEXT,
                negative_share REAL);
            CREATE INDEX IF NOT EXISTS visits_started ON visits (started_at);
            CREATE TABLE IF NOT EXISTS turns (conversation_id TEXT NOT NULL, at REAL NOT NULL, intent TEXT NOT NULL,
                fallback INTEGER NOT NULL);
            CREATE INDEX IF NOT EXISTS turns_at ON turns (at);""")

    # -- what the kiosk session records (each a no-op for a visit it never started) --------------
    def started(self, conversation_id: str, kiosk_id: str, at: float) -> None:
        self.execute("INSERT OR IGNORE INTO visits (conversation_id, kiosk_id, started_at) VALUES (?,?,?)",
                  (conversation_id, kiosk_id, at))

    def identified(self, conversation_id: str, customer_id: str, recognised: bool) -> None:
        self.execute("UPDATE visits SET customer_id=?, recognised=MAX(recognised, ?) WHERE conversation_id=?",
                  (customer_id, int(recognised), conversation_id))

    def handed_off(self, conversation_id: str) -> None:
        self.execute("UPDATE visits SET handed_off=1 WHERE conversation_id=?", (conversation_id,))

    def handled_by(self, conversation_id: str, staff_id: str) -> None:
        self.execute("UPDATE visits SET handled_by=? WHERE conversation_id=? AND handled_by IS NULL",
                  (staff_id, conversation_id))

    def turn(self, conversation_id: str, at: float, intent: str, fallback: bool) -> None:
        self.execute("INSERT INTO turns VALUES (?,?,?,?)", (conversation_id, at, intent, int(fallback)))

    def rated(self, conversation_id: str, rating: int) -> bool:
        """The first answer counts; True when stored."""
        if rating not in RATINGS:
            raise ValueError(f"rating must be one of {sorted(RATINGS)}")
        return self.execute("UPDATE visits SET rating=? WHERE conversation_id=? AND rating IS NULL",
                         (rating, conversation_id)) == 1

    def ended(self, conversation_id: str, at: float, emotion: dict | None = None) -> None:
        emotion = emotion or {}
        self.execute("UPDATE visits SET ended_at=COALESCE(ended_at, ?), emotion_dominant=COALESCE(?, emotion_dominant), "
                  "negative_share=COALESCE(?, negative_share) WHERE conversation_id=?",
                  (at, emotion.get("dominant"), emotion.get("negative_share") if emotion.get("samples") else None,
                   conversation_id))

    # -- what the dashboard reads -------------------------------------------------------------------
    def get(self, conversation_id: str) -> Visit | None:
        rows = self.visits_where("conversation_id=?", (conversation_id,))
        return rows[0] if rows else None

    def visits_between(self, start: float, end: float) -> list[Visit]:
        return self.visits_where("started_at >= ? AND started_at < ? ORDER BY started_at", (start, end))

    def visits_where(self, where: str, args: tuple) -> list[Visit]:
        rows = self.query("SELECT conversation_id, kiosk_id, started_at, ended_at, customer_id, recognised, handed_off, "
                          f"handled_by, rating, emotion_dominant, negative_share FROM visits WHERE {where}", args)
        return [Visit(r[0], r[1], r[2], r[3], r[4], bool(r[5]), bool(r[6]), r[7], r[8], r[9], r[10]) for r in rows]

    def turns_between(self, start: float, end: float) -> list[TurnRecord]:
        rows = self.query("SELECT conversation_id, at, intent, fallback FROM turns WHERE at >= ? AND at < ?",
                          (start, end))
        return [TurnRecord(r[0], r[1], r[2], bool(r[3])) for r in rows]
