"""attachment ciphertext in the database

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # No rowid on SQLite: rows sit in (random) key order, so their order says nothing of
    # when an attachment arrived. Existing files are moved in by `flask db upgrade`.
    op.create_table(
        "blob_chunks",
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", "seq", name=op.f("pk_blob_chunks")),
        sqlite_with_rowid=False,
    )
    op.create_table(
        "pending_blobs",
        sa.Column("blob_id", sa.String(length=32), nullable=False),
        sa.Column("started_on", sa.Date(), nullable=False),
        sa.PrimaryKeyConstraint("blob_id", name=op.f("pk_pending_blobs")),
        sqlite_with_rowid=False,
    )
    with op.batch_alter_table("pending_blobs", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_pending_blobs_started_on"), ["started_on"])


def downgrade() -> None:
    with op.batch_alter_table("pending_blobs", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_pending_blobs_started_on"))
    op.drop_table("pending_blobs")
    op.drop_table("blob_chunks")
