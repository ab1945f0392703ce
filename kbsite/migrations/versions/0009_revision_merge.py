"""revisions record the merge they come from

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-03 12:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.add_column(sa.Column("merged_with", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("merge_base", sa.Integer(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("revisions") as batch:
        batch.drop_column("merge_base")
        batch.drop_column("merged_with")
