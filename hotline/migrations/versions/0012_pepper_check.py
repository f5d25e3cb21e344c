"""pepper check value

Revision ID: 0012
Revises: 0011

The row itself is written by the app: at the first start over an empty database, or by
`flask db upgrade` when this migration adds the table to a database that already holds
cases (the pepper in use at that upgrade is the one adopted).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "pepper_check",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("value", sa.LargeBinary(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pepper_check")),
    )


def downgrade() -> None:
    op.drop_table("pepper_check")
