"""Alembic migrations build exactly the schema the models describe, on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine

from kbsite import migrations
from kbsite.db import Base
from kbsite.models import load_all


def _diff(url: str) -> list:
    load_all()
    migrations.upgrade(url)
    engine = create_engine(url)
    with engine.connect() as conn:
        ctx = MigrationContext.configure(conn, opts={"compare_type": True})
        diff = compare_metadata(ctx, Base.metadata)
    engine.dispose()
    return diff


def test_migrations_match_models_on_sqlite(tmp_path):
    assert _diff(f"sqlite:///{tmp_path / 'm.db'}") == []


@pytest.mark.postgres
def test_migrations_match_models_on_postgres(pg_url):
    assert _diff(pg_url) == []


def test_downgrade_to_base_and_back(tmp_path):
    from alembic import command

    url = f"sqlite:///{tmp_path / 'd.db'}"
    migrations.upgrade(url)
    command.downgrade(migrations.alembic_config(url), "base")
    migrations.upgrade(url)
    assert _diff(url) == []
