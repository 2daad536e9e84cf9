"""Fixtures: a seeded SQLite template copied per test, a seeded PostgreSQL template database
cloned per test, and the HTTP API served from a thread for the HTTP adapter."""
from __future__ import annotations

import asyncio
import datetime as dt
import shutil
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

from business import db, seed
from business.adapter import BusinessSystem
from business.sql_adapter import SqlBusiness

TODAY = dt.date(2026, 11, 24)                       # a Tuesday
NOW = dt.datetime(2026, 11, 24, 10, 30)
CUSTOMERS = 300
PG_ADMIN = "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
# One name per test run: two suites on one server (CI beside a developer's run) must not share databases.
RUN_ID = uuid.uuid4().hex[:8]
PG_TEMPLATE = f"hallbot_test_business_tpl_{RUN_ID}"
PG_DB = f"hallbot_test_business_{RUN_ID}"
TOKEN = "test-token"


def clock() -> dt.datetime:
    return NOW


def _seed(url: str) -> None:
    biz = SqlBusiness(url, clock=clock)
    db.upgrade(biz.engine)
    seed.seed(biz.engine, CUSTOMERS, today=TODAY)
    biz.recompute_profiles()
    biz.engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("business") / "template.sqlite"
    _seed(f"sqlite:///{path}")
    return path


def _pg_admin():
    import psycopg
    try:
        return psycopg.connect("host=127.0.0.1 port=5432 user=postgres dbname=postgres", autocommit=True, connect_timeout=3)
    except psycopg.OperationalError as exc:
        pytest.skip(f"PostgreSQL not reachable: {exc}")


@pytest.fixture(scope="session")
def pg_template():
    with _pg_admin() as conn:
        for name in (PG_DB, PG_TEMPLATE):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_TEMPLATE}")
    _seed(PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_TEMPLATE)
    yield PG_TEMPLATE
    with _pg_admin() as conn:
        for name in (PG_DB, PG_TEMPLATE):
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")


@pytest.fixture
def sqlite_biz(sqlite_template, tmp_path) -> SqlBusiness:
    path = tmp_path / "business.sqlite"
    shutil.copy(sqlite_template, path)
    biz = SqlBusiness(f"sqlite:///{path}", clock=clock)
    yield biz
    biz.engine.dispose()


@pytest.fixture
def pg_biz(pg_template) -> SqlBusiness:
    with _pg_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {PG_DB} TEMPLATE {pg_template}")
    biz = SqlBusiness(PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB, clock=clock)
    yield biz
    biz.engine.dispose()
    with _pg_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)")


class ApiServer:
    """The business API on a free port, served by its own event loop in a thread."""

    def __init__(self, business: BusinessSystem, token: str = TOKEN) -> None:
        from aiohttp import web

        from business.api import make_app
        self.loop = asyncio.new_event_loop()
        self.runner = web.AppRunner(make_app(business, token))
        ready = threading.Event()

        async def start() -> None:
            await self.runner.setup()
            site = web.TCPSite(self.runner, "127.0.0.1", 0)
            await site.start()
            self.port = site._server.sockets[0].getsockname()[1]
            ready.set()

        self.thread = threading.Thread(target=self._serve, args=(start,), daemon=True)
        self.thread.start()
        assert ready.wait(10)
        self.url = f"http://127.0.0.1:{self.port}"

    def _serve(self, start) -> None:
        asyncio.set_event_loop(self.loop)
        self.loop.run_until_complete(start())
        self.loop.run_forever()

    def stop(self) -> None:
        asyncio.run_coroutine_threadsafe(self.runner.cleanup(), self.loop).result(10)
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(10)


@dataclass
class Backend:
    biz: BusinessSystem           # what the test drives (SQL or HTTP)
    sql: SqlBusiness              # the database behind it, to check what was written
    name: str


@pytest.fixture
def api_server(sqlite_biz):
    server = ApiServer(sqlite_biz)
    yield server
    server.stop()


@pytest.fixture(params=[
    "sql-sqlite", "http-sqlite",
    pytest.param("sql-postgres", marks=pytest.mark.postgres),
    pytest.param("http-postgres", marks=pytest.mark.postgres),
])
def backend(request) -> Backend:
    kind, store = request.param.split("-")
    sql = request.getfixturevalue("sqlite_biz" if store == "sqlite" else "pg_biz")
    if kind == "sql":
        yield Backend(sql, sql, request.param)
        return
    from business.http_adapter import HttpBusiness
    server = ApiServer(sql)
    client = HttpBusiness(server.url, TOKEN)
    yield Backend(client, sql, request.param)
    client.close()
    server.stop()
