"""announcements: read receipts per user, and the queue of group-chat webhook notices

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-03 13:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0011"
# Chained after the current head so this branch has one head; the lead re-chains on merge.
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "announcement_receipts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("read_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["item_id"], ["items.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("item_id", "user_id"),
    )
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_announcement_receipts_item_id"), ["item_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_announcement_receipts_user_id"), ["user_id"], unique=False)
    op.create_table(
        "webhook_jobs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("next_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("last_error", sa.String(length=500), nullable=False),
        sa.Column("created_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("sent_at", kbsite.db.UTCDateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("webhook_jobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_webhook_jobs_state"), ["state"], unique=False)
        batch_op.create_index(batch_op.f("ix_webhook_jobs_next_at"), ["next_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("webhook_jobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_webhook_jobs_next_at"))
        batch_op.drop_index(batch_op.f("ix_webhook_jobs_state"))
    op.drop_table("webhook_jobs")
    with op.batch_alter_table("announcement_receipts", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_announcement_receipts_user_id"))
        batch_op.drop_index(batch_op.f("ix_announcement_receipts_item_id"))
    op.drop_table("announcement_receipts")
