"""Staff logins for the console: the business system's staff roster, with scrypt password hashes
kept in var/staff_accounts.json (mode 600).

The file is created on first use: every staff member of the roster gets the initial password
HALLBOT_STAFF_PASSWORD (demo default "hallbot-demo"); staff added to the roster later get it too.
Change a password with `python -m bot.staff passwd S001` (asks for it; or reads a line from stdin)
and list accounts with `python -m bot.staff list`.
"""
from __future__ import annotations

import argparse
import getpass
import hashlib
import hmac
import json
import logging
import os
import secrets
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

log = logging.getLogger(__name__)
DEMO_PASSWORD = "hallbot-demo"
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD = 6


@dataclass(frozen=True)
class StaffAccount:
    staff_id: str
    name: str


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        got = hashlib.scrypt(password.encode(), salt=bytes.fromhex(salt), n=int(n), r=int(r), p=int(p),
                             dklen=len(bytes.fromhex(digest)))
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(got.hex(), digest)


def roster_from_business(business: Callable[[], Any] | None = None) -> list[StaffAccount]:
    """Active staff of the business system (its staff table when it is the SQL system), else the
    catalogue's roster (the same people the seed writes)."""
    try:
        biz = business() if business else None
        if biz is None:
            from business.factory import get_business
            biz = get_business()
        sessions = getattr(biz, "sessions", None)
        if sessions is not None:
            from sqlalchemy import select

            from business import models as m
            with sessions() as s:
                rows = s.scalars(select(m.StaffMember).where(m.StaffMember.active.is_(True))).all()
                if rows:
                    return [StaffAccount(r.staff_id, r.name) for r in rows]
    except Exception as exc:   # noqa: BLE001 - logins must work while the business system is down
        log.warning("staff accounts: business roster unavailable (%s); using the catalogue", exc)
    from business.catalogue import STAFF
    return [StaffAccount(s.staff_id, s.name) for s in STAFF]


class StaffAccounts:
    def __init__(self, path: Path, roster: Callable[[], list[StaffAccount]] = roster_from_business,
                 initial_password: str | None = None) -> None:
        self.path = Path(path)
        self._roster = roster
        self._initial = initial_password or os.environ.get("HALLBOT_STAFF_PASSWORD") or DEMO_PASSWORD
        self._lock = threading.Lock()
        self._data: dict[str, dict] | None = None

    def _load(self) -> dict[str, dict]:
        """Read the file, adding roster members it lacks (first run: all of them)."""
        if self._data is None:
            data: dict[str, dict] = {}
            if self.path.exists():
                try:
                    data = json.loads(self.path.read_text(encoding="utf-8"))
                except (OSError, json.JSONDecodeError) as exc:
                    raise RuntimeError(f"员工账号文件 {self.path} 无法读取: {exc}") from exc
            added = False
            for member in self._roster():
                if member.staff_id not in data:
                    data[member.staff_id] = {"name": member.name, "password": hash_password(self._initial)}
                    added = True
            self._data = data
            if added or not self.path.exists():
                self._save()
        return self._data

    def _save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            json.dump(self._data, f, ensure_ascii=False, indent=1)
        os.replace(tmp, self.path)

    def accounts(self) -> list[StaffAccount]:
        with self._lock:
            return [StaffAccount(k, v["name"]) for k, v in sorted(self._load().items())]

    def get(self, staff_id: str) -> StaffAccount | None:
        with self._lock:
            entry = self._load().get(staff_id)
        return StaffAccount(staff_id, entry["name"]) if entry else None

    def authenticate(self, staff_id: str, password: str) -> StaffAccount | None:
        """The account when the password matches, else None (unknown id and wrong password alike)."""
        with self._lock:
            entry = self._load().get(staff_id.strip().upper())
        if entry is None:
            verify_password(password, hash_password("x"))   # same cost as a real check: no id probing by time
            return None
        if not verify_password(password, entry["password"]):
            return None
        return StaffAccount(staff_id.strip().upper(), entry["name"])

    def set_password(self, staff_id: str, password: str) -> None:
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"密码至少{MIN_PASSWORD}个字符")
        with self._lock:
            data = self._load()
            if staff_id not in data:
                raise KeyError(f"没有工号为 {staff_id} 的员工")
            data[staff_id]["password"] = hash_password(password)
            self._save()


def default_path() -> Path:
    from bot.settings import load
    return load().var_dir / "staff_accounts.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description="员工控制台账号")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="列出账号")
    passwd = sub.add_parser("passwd", help="修改密码")
    passwd.add_argument("staff_id")
    args = parser.parse_args(argv)
    accounts = StaffAccounts(default_path())
    if args.command == "list":
        for a in accounts.accounts():
            print(f"{a.staff_id}\t{a.name}")
        return 0
    password = getpass.getpass("新密码: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    staff_id = args.staff_id.strip().upper()
    try:
        accounts.set_password(staff_id, password)
    except (KeyError, ValueError) as exc:
        print(exc.args[0] if exc.args else exc, file=sys.stderr)
        return 1
    print(f"{staff_id} 的密码已修改")
    return 0
