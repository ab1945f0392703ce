"""Alembic environment: runs migrations against the URL given in the config."""

from __future__ import annotations

from alembic import context

from kbsite.db import Base, make_engine
from kbsite.models import load_all

load_all()
target_metadata = Base.metadata


def run_migrations_online() -> None:
    """Run with a real connection (SQLite gets the same pragmas as the app)."""
    engine = make_engine(context.config.get_main_option("sqlalchemy.url"))
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, compare_type=True)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


run_migrations_online()
