"""cache version counters bumped by triggers (routing snapshot)

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None

# Every write to these tables (columns, for handlers) bumps the "routing" counter in the
# same transaction. Handlers' sign-in columns (TOTP, digest date) do not route anything.
_WATCHED: dict[str, tuple[str, ...] | None] = {
    "desks": None,
    "categories": None,
    "category_desks": None,
    "handlers": ("desk_id", "active", "is_admin", "x25519_public", "mlkem_public"),
    "key_entries": None,
}
_BUMP = "UPDATE cache_versions SET version = version + 1 WHERE name = 'routing'"


def upgrade() -> None:
    op.create_table(
        "cache_versions",
        sa.Column("name", sa.String(length=40), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name=op.f("pk_cache_versions")),
    )
    op.execute("INSERT INTO cache_versions (name, version) VALUES ('routing', 1)")
    if op.get_bind().dialect.name == "postgresql":
        op.execute(
            "CREATE FUNCTION hotline_bump_routing_version() RETURNS trigger AS $$ "
            f"BEGIN {_BUMP}; RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        for table, columns in _WATCHED.items():
            update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
            op.execute(
                f"CREATE TRIGGER {table}_bump_routing AFTER INSERT OR {update} OR DELETE "
                f"OR TRUNCATE ON {table} FOR EACH STATEMENT "
                "EXECUTE FUNCTION hotline_bump_routing_version()"
            )
        return
    for table, columns in _WATCHED.items():
        update = f"UPDATE OF {', '.join(columns)}" if columns else "UPDATE"
        for event, name in (("INSERT", "insert"), (update, "update"), ("DELETE", "delete")):
            op.execute(
                f"CREATE TRIGGER {table}_bump_routing_{name} AFTER {event} ON {table} "
                f"BEGIN {_BUMP}; END"
            )


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        for table in _WATCHED:
            op.execute(f"DROP TRIGGER {table}_bump_routing ON {table}")
        op.execute("DROP FUNCTION hotline_bump_routing_version()")
    else:
        for table in _WATCHED:
            for name in ("insert", "update", "delete"):
                op.execute(f"DROP TRIGGER {table}_bump_routing_{name}")
    op.drop_table("cache_versions")
