"""Staff logins for the console: the business system's staff roster, with scrypt password hashes
kept in var/staff_accounts.json (mode 600).

The file is created on first use. In demo mode (HALLBOT_DEMO=1, `make demo`) every staff member gets
the public demo password "hallbot-demo" (or HALLBOT_STAFF_PASSWORD) and may keep it. Otherwise the
initial password is HALLBOT_STAFF_PASSWORD and must be changed at the first login before the console
is usable; without it accounts have no password until `python -m bot.staff passwd S001` sets one,
and the demo password is refused. Staff added to the roster later get the initial password too.
Change a password with `python -m bot.staff passwd S001` (asks for it; or reads a line from stdin;
`--temporary` makes its owner change it at the next login) and list accounts with
`python -m bot.staff list`. Supervisors (HALLBOT_STAFF_SUPERVISORS, default S000, the duty manager)
may lift another member's login back-off from the console. Bot trainers (HALLBOT_STAFF_TRAINERS,
default S000) open the trainer page (/staff/trainer: conversations and corrections).
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
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hallbot.settings import StaffSettings, demo_mode

log = logging.getLogger(__name__)
DEMO_PASSWORD = "hallbot-demo"
SCRYPT = {"n": 2 ** 14, "r": 8, "p": 1, "dklen": 32}
MIN_PASSWORD = 6


@dataclass(frozen=True)
class StaffAccount:
    staff_id: str
    name: str
    must_change_password: bool = field(default=False, compare=False)
    supervisor: bool = field(default=False, compare=False)
    trainer: bool = field(default=False, compare=False)     # the trainer page (HALLBOT_STAFF_TRAINERS)
    manager: bool = field(default=False, compare=False)      # hall manager: the operations dashboard


def _demo() -> bool:
    return demo_mode()


def _supervisors() -> frozenset[str]:
    return StaffSettings.from_env().supervisors


def _trainers() -> frozenset[str]:
    return StaffSettings.from_env().trainers


def hash_password(password: str) -> str:
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, **SCRYPT)
    return f"scrypt${SCRYPT['n']}${SCRYPT['r']}${SCRYPT['p']}${salt.hex()}${digest.hex()}"


def verify_password(password: str, stored: str | None) -> bool:
    if not stored:
        return False
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
                 initial_password: str | None = None, demo: bool | None = None,
                 force_change: bool | None = None, supervisors: frozenset[str] | None = None,
                 trainers: frozenset[str] | None = None, managers: frozenset[str] | None = None) -> None:
        self.path = Path(path)
        self._roster = roster
        self.demo = _demo() if demo is None else demo
        self._initial = (initial_password or StaffSettings.from_env().initial_password
                         or (DEMO_PASSWORD if self.demo else None))
        # an initial password is known to more than its owner: changed at the first login (not in the demo)
        self._force_change = (not self.demo) if force_change is None else force_change
        self.supervisors = _supervisors() if supervisors is None else supervisors
        self.trainers = _trainers() if trainers is None else trainers
        self.managers = StaffSettings.from_env().managers if managers is None else managers
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
                    data[member.staff_id] = {
                        "name": member.name,
                        "password": hash_password(self._initial) if self._initial else None,
                        "must_change": bool(self._initial) and self._force_change}
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

    def _account(self, staff_id: str, entry: dict) -> StaffAccount:
        return StaffAccount(staff_id, entry["name"], bool(entry.get("must_change")), staff_id in self.supervisors,
                            staff_id in self.trainers, staff_id in self.managers)

    def accounts(self) -> list[StaffAccount]:
        with self._lock:
            return [self._account(k, v) for k, v in sorted(self._load().items())]

    def get(self, staff_id: str) -> StaffAccount | None:
        staff_id = staff_id.strip().upper()
        with self._lock:
            entry = self._load().get(staff_id)
        return self._account(staff_id, entry) if entry else None

    def authenticate(self, staff_id: str, password: str) -> StaffAccount | None:
        """The account when the password matches, else None (unknown id and wrong password alike).
        The public demo password only opens accounts in demo mode."""
        staff_id = staff_id.strip().upper()
        with self._lock:
            entry = self._load().get(staff_id)
        if entry is None or not entry.get("password") or (password == DEMO_PASSWORD and not self.demo):
            verify_password(password, hash_password("x"))   # same cost as a real check: no id probing by time
            if entry is not None and password == DEMO_PASSWORD:
                log.warning("staff %s: the demo password is refused outside demo mode (HALLBOT_DEMO)", staff_id)
            return None
        if not verify_password(password, entry["password"]):
            return None
        return self._account(staff_id, entry)

    def set_password(self, staff_id: str, password: str, temporary: bool = False) -> None:
        """temporary: its owner must change it at the next login (a supervisor handing out a password)."""
        if len(password) < MIN_PASSWORD:
            raise ValueError(f"密码至少{MIN_PASSWORD}个字符")
        if password == DEMO_PASSWORD and not self.demo:
            raise ValueError("不能使用公开的演示密码")
        staff_id = staff_id.strip().upper()
        with self._lock:
            data = self._load()
            if staff_id not in data:
                raise KeyError(f"没有工号为 {staff_id} 的员工")
            data[staff_id]["password"] = hash_password(password)
            data[staff_id]["must_change"] = temporary
            self._save()


def default_path() -> Path:
    from hallbot.settings import load
    return load().var_dir / "staff_accounts.json"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bot.staff", description="员工控制台账号")
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("list", help="列出账号")
    passwd = sub.add_parser("passwd", help="修改密码")
    passwd.add_argument("staff_id")
    passwd.add_argument("--temporary", action="store_true", help="员工下次登录时必须修改")
    args = parser.parse_args(argv)
    accounts = StaffAccounts(default_path())
    if args.command == "list":
        for a in accounts.accounts():
            print(f"{a.staff_id}\t{a.name}")
        return 0
    password = getpass.getpass("新密码: ") if sys.stdin.isatty() else sys.stdin.readline().rstrip("\n")
    staff_id = args.staff_id.strip().upper()
    try:
        accounts.set_password(staff_id, password, temporary=args.temporary)
    except (KeyError, ValueError) as exc:
        print(exc.args[0] if exc.args else exc, file=sys.stderr)
        return 1
    print(f"{staff_id} 的密码已修改")
    return 0
