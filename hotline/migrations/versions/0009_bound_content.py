"""message and note sequence numbers; notes-key grants apart from case-key grants

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


# Existing rows are numbered from 0 per case in id order (the order they were accepted).
_NUMBER = {
    "messages": "UPDATE messages SET seq = (SELECT COUNT(*) FROM messages AS earlier "
    "WHERE earlier.case_id = messages.case_id AND earlier.id < messages.id)",
    "notes": "UPDATE notes SET seq = (SELECT COUNT(*) FROM notes AS earlier "
    "WHERE earlier.case_id = notes.case_id AND earlier.id < notes.id)",
}


def upgrade() -> None:
    for table in ("messages", "notes"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("seq", sa.Integer(), nullable=True))
        op.execute(_NUMBER[table])
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.alter_column("seq", existing_type=sa.Integer(), nullable=False)
            batch_op.create_unique_constraint(f"uq_{table}_case_seq", ["case_id", "seq"])
    with op.batch_alter_table("case_grants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("sealed_notes_key", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_grants", schema=None) as batch_op:
        batch_op.drop_column("sealed_notes_key")
    for table in ("notes", "messages"):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"uq_{table}_case_seq", type_="unique")
            batch_op.drop_column("seq")
