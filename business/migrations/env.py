"""Alembic environment: the connection is passed in by business.db.upgrade()."""
from alembic import context
from sqlalchemy import create_engine

from business.models import Base

config = context.config
connection = config.attributes.get("connection")

if connection is not None:
    context.configure(connection=connection, target_metadata=Base.metadata, render_as_batch=True)
    with context.begin_transaction():
        context.run_migrations()
else:  # e.g. `alembic -x url=... upgrade head` from a shell
    url = context.get_x_argument(as_dictionary=True).get("url", "sqlite:///var/business.sqlite")
    with create_engine(url).begin() as conn:
        context.configure(connection=conn, target_metadata=Base.metadata, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
