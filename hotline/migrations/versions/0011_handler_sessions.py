"""handler session epoch and the server-issued TOTP secret awaiting confirmation

Revision ID: 0011
Revises: 0010
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None

# Plain ALTER TABLE, not a batch operation: on SQLite a batch copies the handlers table,
# which would drop the routing-version triggers 0010 put on it.


def upgrade() -> None:
    op.add_column(
        "handlers", sa.Column("session_epoch", sa.Integer(), server_default="0", nullable=False)
    )
    op.add_column("handlers", sa.Column("totp_pending_wrapped", sa.LargeBinary(), nullable=True))


def downgrade() -> None:
    op.drop_column("handlers", "totp_pending_wrapped")
    op.drop_column("handlers", "session_epoch")
