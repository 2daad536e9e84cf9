"""Engine creation and schema migration (Alembic, run programmatically: no alembic.ini needed)."""
from __future__ import annotations

from pathlib import Path

from sqlalchemy import Engine, create_engine, event, inspect
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def make_engine(url: str) -> Engine:
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 15})

        @event.listens_for(engine, "connect")
        def _pragmas(dbapi_conn, _record) -> None:  # WAL: readers never wait for the writer
            dbapi_conn.isolation_level = None         # we emit BEGIN ourselves (below)
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=15000")
            cur.close()

        @event.listens_for(engine, "begin")
        def _begin(conn) -> None:
            # Write transactions take the write lock up front (BEGIN IMMEDIATE): a read-then-write
            # transaction can then neither lose an update nor dead-lock on the upgrade.
            conn.exec_driver_sql("BEGIN IMMEDIATE" if conn.get_execution_options().get("immediate") else "BEGIN")
        return engine
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=10)


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def write_sessions(engine: Engine) -> sessionmaker[Session]:
    """Sessions for read-modify-write transactions (BEGIN IMMEDIATE on SQLite; PostgreSQL uses
    SELECT ... FOR UPDATE where it matters)."""
    return sessionmaker(engine.execution_options(immediate=True), expire_on_commit=False)


def alembic_config(connection=None):
    from alembic.config import Config
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def upgrade(engine: Engine) -> None:
    """alembic upgrade head on this engine."""
    from alembic import command
    with engine.begin() as conn:
        command.upgrade(alembic_config(conn), "head")


def is_empty(engine: Engine) -> bool:
    from sqlalchemy import func, select

    from business.models import Customer
    if not inspect(engine).has_table("customers"):
        return True
    with engine.connect() as conn:
        return not conn.execute(select(func.count()).select_from(Customer)).scalar()
