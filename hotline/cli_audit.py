"""`flask audit ...`: verify the hash-chained audit log, print its head, move an old chain."""

from __future__ import annotations

import sys

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from hotline import db
from hotline.models import AuditEvent, AuditHead
from hotline.services import audit

audit_group = AppGroup("audit", help="The hash-chained audit log.")


@audit_group.command("verify")
@click.option(
    "--head",
    "saved",
    default=None,
    metavar="COUNT:HASH",
    help="A head printed earlier by `audit head`: the chain must still hold it.",
)
def audit_verify(saved: str | None) -> None:
    """Check every link of the audit chain; exit 1 at the first broken entry."""
    session = db.session()
    try:
        head = audit.Head.parse(saved) if saved else None
    except ValueError as error:
        raise click.BadParameter(str(error), param_hint="--head") from error
    result = audit.verify(session, head)
    if result.ok:
        held = f"; it holds the saved head {head.count}" if head else ""
        click.echo(f"audit chain ok: {result.checked} entries{held}")
        return
    reason = result.reason
    broken = result.first_broken_id
    if broken is None:
        # The newest entries are gone: the head still counts them.
        row = session.get(AuditHead, 1)
        broken = (session.scalar(select(func.max(AuditEvent.id))) or 0) + 1
        if row is not None and reason.startswith("entries missing"):
            reason += f" (the head counts {row.count}, {result.checked} found)"
    elif reason.startswith("link"):
        before = session.scalar(select(func.max(AuditEvent.id)).where(AuditEvent.id < broken))
        low, high = (before or 0) + 1, broken - 1
        if low == high:
            reason += f" (entry {low} is missing)"
        elif low < high:
            reason += f" (entries {low} to {high} are missing)"
    click.echo(f"audit chain broken at entry {broken}: {reason}")
    if audit.written_under_legacy_key(session):
        click.echo(
            "This chain was written under the old public key, before the key came from the "
            "pepper: run `flask --app wsgi audit rekey` once."
        )
    sys.exit(1)


@audit_group.command("head")
def audit_head() -> None:
    """Print the chain's head, to keep where the database's writers cannot reach."""
    head = audit.current_head(db.session())
    click.echo(f"audit head: {head.count} entries")
    click.echo(head.line())
    click.echo("Keep the line above elsewhere; `audit verify --head LINE` checks it later.")


@audit_group.command("rekey")
def audit_rekey() -> None:
    """Move a chain written under the old public key under the pepper-derived key (once)."""
    try:
        count = audit.rekey(db.session())
    except ValueError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"audit chain rekeyed: {count} entries; it now verifies under the pepper")
