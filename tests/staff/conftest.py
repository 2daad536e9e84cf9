"""Fixtures for the staff console: a seeded SQLite business system (a session template copied per
test), a HallBoard on it, and the console's aiohttp app served on a free port."""
from __future__ import annotations

import datetime as dt
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer

from bot.staff import HallBoard, add_routes
from bot.staff.accounts import StaffAccounts, roster_from_business
from bot.staff.limiter import LoginLimiter
from business import db, factory, seed
from business.sql_adapter import SqlBusiness
from hallbot.settings import Settings

NOW = dt.datetime(2026, 11, 24, 10, 30)      # a Tuesday morning: S001 陈静 and S000 are on duty
CUSTOMERS = 150
PASSWORD = "test-pass-123"


def clock() -> dt.datetime:
    return NOW


@pytest.fixture(scope="session")
def business_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("staff-business") / "business.sqlite"
    biz = SqlBusiness(f"sqlite:///{path}", clock=clock)
    db.upgrade(biz.engine)
    seed.seed(biz.engine, CUSTOMERS, today=NOW.date())
    biz.recompute_profiles()
    biz.engine.dispose()
    return path


@pytest.fixture
def var_dir(tmp_path, business_template, monkeypatch) -> Path:
    var = tmp_path / "var"
    var.mkdir()
    shutil.copy(business_template, var / "business.sqlite")
    monkeypatch.setenv("HALLBOT_VAR_DIR", str(var))
    monkeypatch.setenv("HALLBOT_PROFILE_INTERVAL_S", "0")
    monkeypatch.delenv("HALLBOT_BUSINESS_URL", raising=False)
    monkeypatch.delenv("HALLBOT_BUSINESS_DB", raising=False)
    monkeypatch.delenv("HALLBOT_STAFF_PASSWORD", raising=False)
    factory.reset()
    yield var
    factory.reset()       # the next test's HALLBOT_VAR_DIR gets its own business system


@pytest.fixture
def business(var_dir):
    biz = SqlBusiness(f"sqlite:///{var_dir / 'business.sqlite'}", clock=clock)
    yield biz
    biz.engine.dispose()


@pytest.fixture
def customer(business):
    """A seeded customer with recommendations."""
    from sqlalchemy import select

    from business import models as m
    with business.sessions() as s:
        ids = s.scalars(select(m.Customer.customer_id).order_by(m.Customer.customer_id).limit(60)).all()
    for cid in ids:
        if business.recommendations(cid, k=3):
            return business.find_customer(customer_id=cid)
    pytest.fail("no seeded customer has recommendations")


@pytest.fixture
def board(business) -> HallBoard:
    return HallBoard(lambda: business)


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@dataclass
class Console:
    url: str
    board: HallBoard
    accounts: StaffAccounts
    server: TestServer
    limiter: LoginLimiter
    clock: FakeClock


@web.middleware
async def client_address(request, handler):
    """Tests speak from several client addresses through one socket: X-Test-Client overrides request.remote."""
    remote = request.headers.get("X-Test-Client")
    return await handler(request.clone(remote=remote) if remote else request)


def console_app(var_dir, board, business, *, force_change=False, settings=None, clock=None):
    app = web.Application(middlewares=[client_address])
    # force_change=False: a roster whose passwords are already their own (the forced change has its own test)
    accounts = StaffAccounts(var_dir / "staff_accounts.json", roster=lambda: roster_from_business(lambda: business),
                             initial_password=PASSWORD, demo=False, force_change=force_change)
    limiter = LoginLimiter(free_attempts=3, base_s=30, max_s=600, clock=clock or FakeClock())
    add_routes(app, board, settings or Settings(var_dir=var_dir), accounts=accounts, limiter=limiter)
    return app, accounts, limiter


async def serve_console(var_dir, board, business, **kw):
    clock = FakeClock()
    app, accounts, limiter = console_app(var_dir, board, business, clock=clock, **kw)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    return Console(str(server.make_url("")).rstrip("/"), board, accounts, server, limiter, clock)


@pytest.fixture
async def console(var_dir, board, business):
    c = await serve_console(var_dir, board, business)
    yield c
    await c.server.close()
