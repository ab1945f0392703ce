"""first accounts: must-change-password flag and site flags

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-03 11:50:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("must_change_password", sa.Boolean(), nullable=False,
                                   server_default=sa.false()))
    op.create_table(
        "site_flags",
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("set_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("name"),
    )


def downgrade() -> None:
    op.drop_table("site_flags")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("must_change_password")
