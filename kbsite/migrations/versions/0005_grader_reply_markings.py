"""trainers' queue of written replies to mark (待批改)

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

import kbsite.db

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "training_reply_markings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("attempt_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.String(length=64), nullable=False),
        sa.Column("auto_score", sa.Float(), nullable=False),
        sa.Column("final_score", sa.Float(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=False),
        sa.Column("marked_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", kbsite.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("marked_at", kbsite.db.UTCDateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["attempt_id"], ["training_attempts.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["marked_by_id"], ["users.id"], ondelete="SET NULL"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("attempt_id", "question_id"),
    )
    with op.batch_alter_table("training_reply_markings", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_training_reply_markings_attempt_id"), ["attempt_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_reply_markings_created_at"), ["created_at"], unique=False)
        batch_op.create_index(batch_op.f("ix_training_reply_markings_marked_at"), ["marked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("training_reply_markings", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_training_reply_markings_marked_at"))
        batch_op.drop_index(batch_op.f("ix_training_reply_markings_created_at"))
        batch_op.drop_index(batch_op.f("ix_training_reply_markings_attempt_id"))
    op.drop_table("training_reply_markings")
