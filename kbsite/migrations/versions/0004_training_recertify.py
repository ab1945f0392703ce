"""training follows policy changes: recorded changes of cited entries, certificates with serials

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_policy_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("item_slug", sa.String(length=80), nullable=False),
        sa.Column("revision_id", sa.Integer(), nullable=False),
        sa.Column("revision_number", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("cause", sa.String(length=16), nullable=False),
        sa.Column("occurred_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["revision_id"], ["revisions.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("revision_id"),
    )
    with op.batch_alter_table("training_policy_changes", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_policy_changes_item_slug"), ["item_slug"], unique=False)
    op.create_table(
        "training_certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("serial", sa.String(length=32), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("course_slug", sa.String(length=80), nullable=False),
        sa.Column("course_title", sa.String(length=200), nullable=False),
        sa.Column("score", sa.Float(), nullable=True),
        sa.Column("completed_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("issued_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("versions", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("serial"),
    )
    with op.batch_alter_table("training_certificates", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_certificates_user_id"), ["user_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_certificates", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_certificates_user_id"))
    op.drop_table("training_certificates")
    with op.batch_alter_table("training_policy_changes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_policy_changes_item_slug"))
    op.drop_table("training_policy_changes")
