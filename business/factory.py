"""get_business(): the BusinessSystem for this process, chosen by the settings (hallbot/settings.py).

HALLBOT_BUSINESS_URL set -> HTTP client of that API (token HALLBOT_BUSINESS_TOKEN);
else the in-process SQL system on HALLBOT_BUSINESS_DB (default sqlite:///$HALLBOT_VAR_DIR/business.sqlite),
migrated and seeded (HALLBOT_DEMO_CUSTOMERS customers, default 2000) the first time."""
from __future__ import annotations

import logging
import threading
from contextlib import contextmanager

from business.adapter import BusinessSystem
from hallbot.settings import BusinessSettings, load

log = logging.getLogger(__name__)
_instance: BusinessSystem | None = None
_lock = threading.Lock()


def default_db_url() -> str:
    return load().business_db_url


@contextmanager
def _setup_lock(engine):
    """Only one process migrates and seeds a database (the action server and the app server
    may start together): a lock file next to a SQLite file, an advisory lock on PostgreSQL."""
    if engine.dialect.name == "sqlite":
        import fcntl
        path = engine.url.database
        if not path or path == ":memory:":
            yield
            return
        with open(path + ".setup-lock", "w") as f:
            fcntl.flock(f, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(f, fcntl.LOCK_UN)
    elif engine.dialect.name == "postgresql":
        from sqlalchemy import text
        with engine.connect() as conn:
            conn.execute(text("SELECT pg_advisory_lock(564802)"))
            try:
                yield
            finally:
                conn.execute(text("SELECT pg_advisory_unlock(564802)"))
                conn.commit()
    else:
        yield


def open_sql(url: str | None = None, *, seed_if_empty: bool = True, customers: int | None = None):
    """The SQL system on `url`, with the schema at head and demo data when the database is empty."""
    from business import db, seed
    from business.sql_adapter import SqlBusiness
    biz = SqlBusiness(url or default_db_url())
    with _setup_lock(biz.engine):
        db.upgrade(biz.engine)
        if seed_if_empty and db.is_empty(biz.engine):
            n = customers or BusinessSettings.from_env().demo_customers
            stats = seed.seed(biz.engine, n)
            log.info("business: seeded %d demo customers in %.1f s", n, stats.seconds)
            biz.recompute_profiles()
    return biz


def get_business() -> BusinessSystem:
    global _instance
    with _lock:
        if _instance is None:
            config = BusinessSettings.from_env()
            if config.url:
                from business.http_adapter import HttpBusiness
                _instance = HttpBusiness(config.url, config.token)
            else:
                sql = open_sql()
                interval = config.profile_interval_s
                if interval > 0:
                    sql.start_profile_schedule(interval)
                _instance = sql
        return _instance


def reset() -> None:
    """Forget the cached instance (tests, or after changing the environment)."""
    global _instance
    with _lock:
        _instance = None
