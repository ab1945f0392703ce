"""search log: gap reports from the search page

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("search_log") as batch:
        batch.add_column(sa.Column("gap_reported_at", kbsite.db.UTCDateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("search_log") as batch:
        batch.drop_column("gap_reported_at")
