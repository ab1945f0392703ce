"""search outbox: committed changes every process's index follows

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("slugs", sa.JSON(), nullable=False),
        sa.Column("everything", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sqlite_autoincrement=True,
    )
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_search_outbox_at"), ["at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("search_outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_search_outbox_at"))
    op.drop_table("search_outbox")
