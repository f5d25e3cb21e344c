"""signed handler key directory

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "key_entries",
        sa.Column("sequence", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=False),
        sa.Column("desk", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("x25519_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("mlkem_public", sa.LargeBinary(length=1184), nullable=False),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("previous_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("signature", sa.LargeBinary(length=3373), nullable=False),
        sa.Column("entry_hash", sa.LargeBinary(length=32), nullable=False),
        sa.Column("notified", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["handler_id"], ["handlers.id"], name=op.f("fk_key_entries_handler_id_handlers")
        ),
        sa.PrimaryKeyConstraint("sequence", name=op.f("pk_key_entries")),
        sa.UniqueConstraint("entry_hash", name=op.f("uq_key_entries_entry_hash")),
    )
    with op.batch_alter_table("key_entries", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_key_entries_handler_id"), ["handler_id"], unique=False)

    op.create_table(
        "key_signing_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("handler_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("desk", sa.String(length=40), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("x25519_public", sa.LargeBinary(length=32), nullable=False),
        sa.Column("mlkem_public", sa.LargeBinary(length=1184), nullable=False),
        sa.Column("requested_on", sa.Date(), nullable=False),
        sa.Column("signed_sequence", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["handler_id"],
            ["handlers.id"],
            name=op.f("fk_key_signing_requests_handler_id_handlers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_key_signing_requests")),
    )
    with op.batch_alter_table("key_signing_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_key_signing_requests_handler_id"), ["handler_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_key_signing_requests_signed_sequence"), ["signed_sequence"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("key_signing_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_signing_requests_signed_sequence"))
        batch_op.drop_index(batch_op.f("ix_key_signing_requests_handler_id"))
    op.drop_table("key_signing_requests")
    with op.batch_alter_table("key_entries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_key_entries_handler_id"))
    op.drop_table("key_entries")
