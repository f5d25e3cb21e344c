"""sms retry answers only for Twilio's retry window

Revision ID: 0006
Revises: 0005

Existing retry answers were sealed under a key derived from the MessageSid alone and kept
for ever: they are erased (every retry window is long past).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reply_until", sa.DateTime(), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_sms_deliveries_reply_until"), ["reply_until"], unique=False
        )
    op.execute("UPDATE sms_deliveries SET sealed_reply = NULL")
    op.execute("DELETE FROM twilio_deletions WHERE attempts >= 20")


def downgrade() -> None:
    with op.batch_alter_table("sms_deliveries", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_sms_deliveries_reply_until"))
        batch_op.drop_column("reply_until")
