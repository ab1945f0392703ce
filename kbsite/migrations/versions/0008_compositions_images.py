"""side panel: recent reply compositions, images of entries and templates

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "images",
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("mime", sa.String(length=20), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("uploaded_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["uploaded_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("sha256"),
    )
    op.create_table(
        "reply_compositions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("slugs", sa.JSON(), nullable=False),
        sa.Column("uses", sa.Integer(), nullable=False),
        sa.Column("used_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("user_id", "key"),
    )
    with op.batch_alter_table("reply_compositions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_reply_compositions_used_at"), ["used_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_reply_compositions_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("reply_compositions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_reply_compositions_user_id"))
        batch_op.drop_index(batch_op.f("ix_reply_compositions_used_at"))
    op.drop_table("reply_compositions")
    op.drop_table("images")
