"""The Alembic migration builds exactly the models' schema, and rolls back cleanly."""
from __future__ import annotations

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from business import db
from business.models import Base
from tests.business.conftest import PG_ADMIN, RUN_ID, _pg_admin


def _check(engine) -> None:
    db.upgrade(engine)
    with engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
    db.upgrade(engine)                                   # idempotent
    with engine.begin() as conn:
        command.downgrade(db.alembic_config(conn), "base")
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}


def test_sqlite_migration_matches_models(tmp_path):
    _check(db.make_engine(f"sqlite:///{tmp_path / 'm.sqlite'}"))


@pytest.mark.postgres
def test_postgres_migration_matches_models():
    name = f"hallbot_test_business_mig_{RUN_ID}"
    with _pg_admin() as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {name}")
    engine = db.make_engine(PG_ADMIN.rsplit("/", 1)[0] + "/" + name)
    try:
        _check(engine)
    finally:
        engine.dispose()
        with _pg_admin() as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
