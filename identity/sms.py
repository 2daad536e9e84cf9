"""One-time SMS codes for manual identity confirmation: expiry, attempt limit, lockout,
resend throttle. Codes are stored hashed in SQLite (shared by the action server and the
app server); the gateway that delivers them is pluggable."""
from __future__ import annotations

import hashlib
import json
import os
import secrets
import sqlite3
import time
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import Callable, Protocol


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class OutboxGateway:
    """Demo/test gateway: appends each message as a JSON line to a file (var/sms_outbox.jsonl)."""

    def __init__(self, path: str | Path) -> None:
        self.path = Path(path)

    def send(self, phone: str, text: str) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps({"phone": phone, "text": text, "ts": time.time()}, ensure_ascii=False) + "\n")

    def last_code(self, phone: str) -> str | None:
        if not self.path.exists():
            return None
        code = None
        for line in self.path.read_text(encoding="utf-8").splitlines():
            msg = json.loads(line)
            if msg["phone"] == phone:
                code = "".join(c for c in msg["text"] if c.isdigit())[:6]
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
    max_attempts: int = 5
    lockout_s: int = 900
    resend_after_s: int = 60
    code_length: int = 6


class SmsVerifier:
    def __init__(self, db_path: str | Path, gateway: SmsGateway, policy: SmsPolicy = SmsPolicy(),
                 clock: Callable[[], float] = time.time) -> None:
        self.db_path = str(db_path)
        Path(self.db_path).parent.mkdir(parents=True, exist_ok=True)
        self.gateway, self.policy, self.clock = gateway, policy, clock
        with self._db() as db:
            db.execute("""CREATE TABLE IF NOT EXISTS sms_codes (
                phone TEXT PRIMARY KEY, code_hash TEXT, salt TEXT, sent_at REAL, attempts INTEGER,
                locked_until REAL)""")

    def _db(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.db_path, timeout=10, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        return db

    @staticmethod
    def _hash(code: str, salt: str) -> str:
        return hashlib.sha256((salt + code).encode()).hexdigest()

    def _row(self, db: sqlite3.Connection, phone: str):
        return db.execute("SELECT code_hash, salt, sent_at, attempts, locked_until FROM sms_codes WHERE phone=?",
                          (phone,)).fetchone()

    def send_code(self, phone: str) -> Result:
        now = self.clock()
        with self._db() as db:
            row = self._row(db, phone)
            if row and row[4] and row[4] > now:
                return Result(Outcome.LOCKED, "验证码错误次数过多，请稍后再试或找工作人员帮助", retry_after_s=int(row[4] - now))
            if row and row[2] and now - row[2] < self.policy.resend_after_s:
                wait = int(self.policy.resend_after_s - (now - row[2]))
                return Result(Outcome.THROTTLED, f"验证码已发送，请{wait}秒后再重新获取", retry_after_s=wait)
            code = "".join(secrets.choice("0123456789") for _ in range(self.policy.code_length))
            salt = secrets.token_hex(8)
            db.execute("INSERT OR REPLACE INTO sms_codes VALUES (?,?,?,?,0,NULL)", (phone, self._hash(code, salt), salt, now))
        minutes = self.policy.ttl_s // 60
        self.gateway.send(phone, f"【国网营业厅】您的验证码是{code}，{minutes}分钟内有效。")
        return Result(Outcome.SENT, "验证码已发送到您的手机", attempts_left=self.policy.max_attempts)

    def verify(self, phone: str, code: str) -> Result:
        now = self.clock()
        code = "".join(c for c in code if c.isdigit())
        with self._db() as db:
            row = self._row(db, phone)
            if row and row[4] and row[4] > now:  # the lock wins over everything else
                return Result(Outcome.LOCKED, "验证码错误次数过多，请稍后再试或找工作人员帮助", retry_after_s=int(row[4] - now))
            if not row or row[0] is None:
                return Result(Outcome.NO_CODE, "还没有给这个手机号发送验证码")
            code_hash, salt, sent_at, attempts, locked_until = row
            if now - sent_at > self.policy.ttl_s:
                db.execute("UPDATE sms_codes SET code_hash=NULL WHERE phone=?", (phone,))
                return Result(Outcome.EXPIRED, "验证码已过期，请重新获取")
            if secrets.compare_digest(self._hash(code, salt), code_hash):
                db.execute("DELETE FROM sms_codes WHERE phone=?", (phone,))
                return Result(Outcome.OK, "验证成功")
            attempts += 1
            left = self.policy.max_attempts - attempts
            if left <= 0:
                db.execute("UPDATE sms_codes SET attempts=?, code_hash=NULL, locked_until=? WHERE phone=?",
                           (attempts, now + self.policy.lockout_s, phone))
                return Result(Outcome.LOCKED, "验证码错误次数过多，已暂时锁定，请找工作人员帮助", retry_after_s=self.policy.lockout_s)
            db.execute("UPDATE sms_codes SET attempts=? WHERE phone=?", (attempts, phone))
            return Result(Outcome.WRONG, f"验证码不正确，还可以再试{left}次", attempts_left=left)


def default_verifier(var_dir: str | Path | None = None) -> SmsVerifier:
    var = Path(var_dir or os.environ.get("HALLBOT_VAR_DIR", "var"))
    return SmsVerifier(var / "hall.sqlite", OutboxGateway(var / "sms_outbox.jsonl"))
