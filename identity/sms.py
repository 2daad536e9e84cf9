"""One-time SMS codes for manual identity confirmation: expiry, attempt limits that a resend does
not reset, a daily cap per phone, resend throttle, lockout and a staff unlock. Codes are stored
hashed in SQLite (shared by the action server and the app server); the gateway that delivers them
is pluggable. The demo gateway's outbox keeps the message masked, never the code."""
from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import json
import re
import secrets
import sqlite3
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Protocol, TextIO

from hallbot import settings
from identity.masking import mask_phone, mask_text

DEMO_MARK = "[demo SMS]"


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


def demo_mode() -> bool:
    """HALLBOT_DEMO=1: the explicit demo switch (hallbot.settings)."""
    return settings.demo_mode()


class OutboxGateway:
    """Demo/test gateway: appends each message, masked (no code, last 4 digits of the phone), as a
    JSON line to a file (var/sms_outbox.jsonl). With `echo` (demo mode only) the full message is
    also written there, one line starting with DEMO_MARK, so the demo user still gets the code."""

    def __init__(self, path: str | Path, echo: TextIO | None = None) -> None:
        self.path = Path(path)
        self.echo = echo

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"phone": mask_phone(phone), "text": mask_text(text), "ts": time.time()},
                               ensure_ascii=False) + "\n")
        if self.echo is not None:
            print(f"{DEMO_MARK} {mask_phone(phone)}: {text}", file=self.echo, flush=True)


def last_demo_code(echoed: str, phone: str) -> str | None:
    """The last code the demo gateway echoed to `phone` (for tests and the demo terminal)."""
    code = None
    for line in echoed.splitlines():
        head, _, text = line.partition(": ")
        if head.endswith(f"{DEMO_MARK} {mask_phone(phone)}"):
            found = re.search(r"\d{6}", text)
            code = found.group(0) if found else code
    return code


class Outcome(str, Enum):
    OK = "ok"
    WRONG = "wrong"
    EXPIRED = "expired"
    NO_CODE = "no_code"
    LOCKED = "locked"
    THROTTLED = "throttled"
    SENT = "sent"


@dataclass(frozen=True)
class Result:
    outcome: Outcome
    message: str
    attempts_left: int = 0
    retry_after_s: int = 0

    @property
    def ok(self) -> bool:
        return self.outcome in (Outcome.OK, Outcome.SENT)


@dataclass(frozen=True)
class SmsPolicy:
    ttl_s: int = 300
    max_attempts: int = 5          # wrong codes before a lock, counted across resends
    lockout_s: int = 900
    resend_after_s: int = 60       # minimum interval between two codes to one phone
    max_sends_per_day: int = 5     # codes per phone per day
    max_attempts_per_day: int = 10  # wrong codes per phone per day, whatever the resends
    code_length: int = 6


LOCKED_TEXT = "验证码错误次数过多，手机验证已暂时锁定，请找工作人员帮助，或稍后再试"
DAY_LIMIT_TEXT = "这个手机号今天的验证次数已用完，请找工作人员帮助，或明天再试"


@dataclass
class _State:
    code_hash: str | None = None
    salt: str | None = None
    sent_at: float | None = None
    attempts: int = 0              # wrong codes since the last success or lock
    locked_until: float | None = None
    day: str = ""
    day_attempts: int = 0
    day_sends: int = 0


class SmsVerifier:
    def __init__(self, db_path: str | Path, gateway: SmsGateway, policy: SmsPolicy = SmsPolicy(),
                 clock: Callable[[], float] = time.time) -> None:
        self.db_path = str(db_path)
        Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        self.gateway, self.policy, self.clock = gateway, policy, clock
        with self._db() as db:   # sms_state replaces sms_codes (which reset its counter on each resend)
            db.execute("""CREATE TABLE IF NOT EXISTS sms_state (
                phone TEXT PRIMARY KEY, code_hash TEXT, salt TEXT, sent_at REAL, attempts INTEGER NOT NULL,
                locked_until REAL, day TEXT NOT NULL, day_attempts INTEGER NOT NULL, day_sends INTEGER NOT NULL)""")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    @staticmethod
    def _hash(code: str, salt: str) -> str:
        return hashlib.sha256((salt + code).encode()).hexdigest()

    def _day(self, now: float) -> str:
        return time.strftime("%Y-%m-%d", time.localtime(now))

    def _next_day(self, now: float) -> float:
        today = dt.datetime.fromtimestamp(now).date()
        return dt.datetime.combine(today + dt.timedelta(days=1), dt.time()).timestamp()

    def _load(self, db: sqlite3.Connection, phone: str, now: float) -> _State:
        row = db.execute("SELECT code_hash, salt, sent_at, attempts, locked_until, day, day_attempts, day_sends "
                         "FROM sms_state WHERE phone=?", (phone,)).fetchone()
        state = _State(*row) if row else _State()
        if state.day != self._day(now):       # a new day: fresh daily counters
            state.day, state.day_attempts, state.day_sends = self._day(now), 0, 0
        return state

    def _store(self, db: sqlite3.Connection, phone: str, s: _State) -> None:
        db.execute("INSERT OR REPLACE INTO sms_state VALUES (?,?,?,?,?,?,?,?,?)",
                   (phone, s.code_hash, s.salt, s.sent_at, s.attempts, s.locked_until, s.day, s.day_attempts,
                    s.day_sends))

    def _locked(self, s: _State, now: float) -> Result | None:
        if s.locked_until and s.locked_until > now:
            text = DAY_LIMIT_TEXT if s.day_attempts >= self.policy.max_attempts_per_day else LOCKED_TEXT
            return Result(Outcome.LOCKED, text, retry_after_s=int(s.locked_until - now) + 1)
        return None

    def send_code(self, phone: str) -> Result:
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")     # the action server may run two turns at once
            s = self._load(db, phone, now)
            if locked := self._locked(s, now):
                db.execute("ROLLBACK")
                return locked
            if s.day_sends >= self.policy.max_sends_per_day:
                db.execute("ROLLBACK")
                return Result(Outcome.LOCKED, "这个手机号今天获取验证码的次数已用完，请找工作人员帮助，或明天再试",
                              retry_after_s=int(self._next_day(now) - now))
            if s.sent_at and now - s.sent_at < self.policy.resend_after_s:
                db.execute("ROLLBACK")
                wait = int(self.policy.resend_after_s - (now - s.sent_at)) + 1
                return Result(Outcome.THROTTLED, f"验证码已发送，请{wait}秒后再重新获取", retry_after_s=wait)
            code = "".join(secrets.choice("0123456789") for _ in range(self.policy.code_length))
            s.salt = secrets.token_hex(8)
            s.code_hash, s.sent_at, s.day_sends = self._hash(code, s.salt), now, s.day_sends + 1
            self._store(db, phone, s)        # attempts are kept: a resend buys no new guesses
            db.execute("COMMIT")
        minutes = self.policy.ttl_s // 60
        self.gateway.send(phone, f"【国网营业厅】您的验证码是{code}，{minutes}分钟内有效。")
        return Result(Outcome.SENT, "验证码已发送到您的手机", attempts_left=self._left(s))

    def _left(self, s: _State) -> int:
        return max(0, min(self.policy.max_attempts - s.attempts, self.policy.max_attempts_per_day - s.day_attempts))

    def verify(self, phone: str, code: str) -> Result:
        now = self.clock()
        code = "".join(c for c in str(code) if c.isdigit())
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            try:
                result = self._verify(db, phone, code, now)
            except BaseException:
                db.execute("ROLLBACK")
                raise
            db.execute("COMMIT")
            return result

    def _verify(self, db: sqlite3.Connection, phone: str, code: str, now: float) -> Result:
        s = self._load(db, phone, now)
        if locked := self._locked(s, now):   # the lock wins over everything else
            return locked
        if s.code_hash is None or s.salt is None or s.sent_at is None:
            return Result(Outcome.NO_CODE, "还没有给这个手机号发送验证码")
        if now - s.sent_at > self.policy.ttl_s:
            s.code_hash = None
            self._store(db, phone, s)
            return Result(Outcome.EXPIRED, "验证码已过期，请重新获取")
        if secrets.compare_digest(self._hash(code, s.salt), s.code_hash):
            s.code_hash, s.salt, s.attempts = None, None, 0      # single use
            self._store(db, phone, s)
            return Result(Outcome.OK, "验证成功")
        s.attempts, s.day_attempts = s.attempts + 1, s.day_attempts + 1
        left = self._left(s)
        if left <= 0:
            day_cap = s.day_attempts >= self.policy.max_attempts_per_day
            s.locked_until = self._next_day(now) if day_cap else now + self.policy.lockout_s
            s.code_hash, s.attempts = None, 0
            self._store(db, phone, s)
            return Result(Outcome.LOCKED, DAY_LIMIT_TEXT if day_cap else LOCKED_TEXT,
                          retry_after_s=int(s.locked_until - now) + 1)
        self._store(db, phone, s)
        return Result(Outcome.WRONG, f"验证码不正确，还可以再试{left}次", attempts_left=left)

    def unlock(self, phone: str) -> bool:
        """Staff checked the customer in person: lift the lock and today's counters. True if it was locked."""
        now = self.clock()
        with self._db() as db:
            db.execute("BEGIN IMMEDIATE")
            s = self._load(db, phone, now)
            was_locked = bool(s.locked_until and s.locked_until > now)
            s.locked_until, s.attempts, s.day_attempts, s.day_sends = None, 0, 0, 0
            s.code_hash, s.salt, s.sent_at = None, None, None     # a new code may go out at once
            self._store(db, phone, s)
            db.execute("COMMIT")
        return was_locked


def default_verifier(var_dir: str | Path | None = None) -> SmsVerifier:
    var = Path(var_dir) if var_dir else settings.default_var_dir()
    echo = sys.stdout if demo_mode() else None    # demo only: the code goes to the demo's terminal
    return SmsVerifier(var / "hall.sqlite", OutboxGateway(var / "sms_outbox.jsonl", echo=echo))


def main(argv: list[str] | None = None) -> int:
    """`python -m identity.sms unlock PHONE`: a supervisor lifts a phone's SMS lock."""
    from identity.account_number import InvalidNumber, parse_phone

    parser = argparse.ArgumentParser(prog="python -m identity.sms", description="短信验证码")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("unlock", help="解除手机号的验证码锁定").add_argument("phone")
    args = parser.parse_args(argv)
    try:
        phone = parse_phone(args.phone)
    except InvalidNumber as exc:
        print(exc.reason, file=sys.stderr)
        return 1
    was = default_verifier().unlock(phone)
    print(f"{mask_phone(phone)} {'已解除锁定' if was else '没有被锁定（今日计数已清零）'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
