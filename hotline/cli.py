"""Operator commands: `flask --app wsgi <group> <command>`."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import click
from flask.cli import AppGroup
from sqlalchemy import func, select

from hotline import db, mailer, pepper_check, wiring
from hotline.blobs import legacy
from hotline.models import Case, Category
from hotline.services import (
    accounts,
    cases,
    handler_access,
    key_alerts,
    notifications,
    offline_export,
    retention,
    routing,
    sms_records,
    workflow,
)
from hotline.services.case_view import UNREADABLE
from hotline.services.context import ServiceContext
from hotline.services.errors import ServiceError
from integrations import mail


def _ctx() -> ServiceContext:
    ctx: ServiceContext = wiring.services().context
    return ctx


def _read_password(password_stdin: bool, confirm: bool) -> str:
    if password_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt("Password", hide_input=True, confirmation_prompt=confirm)
    return value


def _fail(error: ServiceError) -> None:
    raise click.ClickException(error.message)


db_group = AppGroup("db", help="Database schema.")


@db_group.command("upgrade")
def db_upgrade() -> None:
    """Create or migrate the schema to the newest revision. When this adds the pepper's
    check table, the pepper in use is recorded (the app checked it at start otherwise)."""
    from hotline import migrate  # Alembic (and Mako) only here: ~11 MiB out of every worker

    sessions = db.database().sessions
    with sessions() as session:
        had_check = pepper_check.has_table(session)
    migrate.upgrade(wiring.settings().database_url)
    if not had_check and pepper_check.adopt(sessions, _ctx().keyring.pepper) == "recorded":
        click.echo("recorded the pepper's check value: keep this pepper (docs/operations.md)")
    moved = legacy.import_files(db.database().engine, wiring.settings().instance_path / "blobs")
    if moved:
        click.echo(f"moved {moved} attachment files into the database and shredded them")
    click.echo("database is up to date")


routing_group = AppGroup("routing", help="Desks, categories and routing policy.")


@routing_group.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--if-empty", is_flag=True, help="Only when no category exists yet.")
def routing_load(path: str | None, if_empty: bool) -> None:
    """Create or update desks and categories from the policy file."""
    session = db.session()
    if if_empty and session.scalar(select(func.count()).select_from(Category)):
        click.echo("routing policy present; nothing loaded")
        return
    desks, categories = routing.load_policy(session, Path(path or wiring.settings().routing_file))
    click.echo(f"loaded {desks} desks and {categories} categories")


handlers_group = AppGroup("handlers", help="Handler accounts.")


@handlers_group.command("create")
@click.option("--username", required=True)
@click.option("--desk", default=None, help="Desk slug, e.g. compliance or ombudsperson.")
@click.option("--admin", "is_admin", is_flag=True, help="An administrator (no desk, no cases).")
@click.option("--email", default="", help="Work address for content-free reminders.")
@click.option("--display-name", default=None)
@click.option("--role", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def handlers_create(
    username: str,
    desk: str | None,
    is_admin: bool,
    email: str,
    display_name: str | None,
    role: str,
    password_stdin: bool,
) -> None:
    """Create a handler (or with --admin an administrator) with fresh keys.

    Prints the one-time recovery key.
    """
    if is_admin and desk:
        raise click.UsageError("an administrator belongs to no desk: leave out --desk")
    if not is_admin and not desk:
        raise click.UsageError("give --desk (or --admin for an administrator)")
    password = _read_password(password_stdin, confirm=True)
    try:
        created = accounts.create_handler(
            db.session(),
            _ctx(),
            username,
            desk,
            password,
            display_name,
            role,
            email=email,
            is_admin=is_admin,
        )
    except ServiceError as error:
        _fail(error)
        return
    click.echo(
        f"created handler {created.username} (id {created.handler_id}) on desk {created.desk}"
    )
    click.echo("Recovery key (shown once; store it offline, it can unlock your keys):")
    click.echo(f"  {created.recovery_key}")


@handlers_group.command("list")
def handlers_list() -> None:
    """List handler accounts (no secrets)."""
    found = accounts.list_handlers(db.session())
    if not found:
        click.echo("no handler accounts yet (make one with `handlers create`)")
        return
    click.echo("id\tusername\tdesk\tstate\tname")
    for h in found:
        state = "active" if h.active else "inactive"
        click.echo(f"{h.handler_id}\t{h.username}\t{h.desk}\t{state}\t{h.display_name}")


cases_group = AppGroup("cases", help="Cases: metadata, and offline decryption.")


@cases_group.command("list")
@click.option("--limit", default=50, show_default=True)
@click.option("--offset", default=0)
def cases_list(limit: int, offset: int) -> None:
    """List cases by nearest acknowledgement deadline: metadata only, never content."""
    click.echo("case\tcategory\tchannel\tstatus\treceived\tacknowledge_by\tgrants")
    for c in cases.list_cases(db.session(), limit, offset):
        click.echo(
            f"{c.case_id}\t{c.category}\t{c.channel}\t{c.status}\t"
            f"{c.received_on}\t{c.acknowledge_by}\t{c.grants}"
        )


@cases_group.command("decrypt")
@click.argument("case_id")
@click.option("--username", required=True)
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON instead of text.")
def cases_decrypt(case_id: str, username: str, password_stdin: bool, as_json: bool) -> None:
    """Decrypt a case assigned to you and print it (to the terminal, never to a file)."""
    password = _read_password(password_stdin, confirm=False)
    session = db.session()
    try:
        who = handler_access.unlock(session, _ctx(), username, password)
        case = handler_access.open_case(session, who, case_id, export=True)
    except ServiceError as error:
        _fail(error)
        return
    if as_json:
        click.echo(
            json.dumps(
                {
                    "case_id": case.case_id,
                    "category": case.category,
                    "status": case.status,
                    "received_on": case.received_on.isoformat(),
                    "report": case.report,
                    "messages": [
                        {"author": m.author, "body": m.body, "date": m.sent_on.isoformat()}
                        for m in case.messages
                    ],
                },
                ensure_ascii=False,
                indent=2,
            )
        )
        return
    click.echo(
        f"Case {case.case_id}  category {case.category}  channel {case.channel}  "
        f"status {case.status}"
    )
    click.echo(
        f"Received {case.received_on}  acknowledge by {case.acknowledge_by}  "
        f"feedback by {case.feedback_by}"
    )
    for name, text in case.report.get("fields", {}).items():
        click.echo(f"\n[{name}]\n{text}")
    for m in case.messages:
        click.echo(f"\n--- {m.author}, {m.sent_on} ---\n{m.body if m.readable else UNREADABLE}")
    files = handler_access.attachments_of(session, who, case_id)
    if files:
        click.echo("\nFiles (open them in the console; the CLI never writes plaintext to disk):")
        for f in files:
            click.echo(f"  {f.attachment_id}  {f.name}  {f.content_type}  {f.size} bytes")


@cases_group.command("export")
@click.option("--username", required=True)
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False, path_type=Path))
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def cases_export(username: str, out: Path, password_stdin: bool) -> None:
    """Write an offline export of your cases: ciphertext and your password-wrapped keys only.

    Open it anywhere with `python -m hotline.offline_open FILE` and your password; it holds
    no server secret (no pepper, SECRET_KEY or channel token).
    """
    password = _read_password(password_stdin, confirm=False)
    try:
        made = offline_export.export_for(db.session(), _ctx(), username, password)
    except ServiceError as error:
        _fail(error)
        return
    fd = os.open(out, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(made.document, handle)
    click.echo(f"wrote {len(made.case_ids)} cases to {out} (ciphertext only; readable by you only)")


@cases_group.command("purge")
@click.option("--dry-run", is_flag=True, help="Only say what would be warned and purged.")
def cases_purge(dry_run: bool) -> None:
    """Retention (run daily from cron): warn, then purge closed cases; sweep orphan files."""
    settings = wiring.settings()
    report = retention.run(
        db.session(),
        wiring.services().blobs,
        mailer.sender(settings),
        retention.RetentionPolicy(settings.retention_days, settings.purge_warning_days),
        settings.public_url,
        dry_run=dry_run,
        sms_policy=sms_records.policy_from_settings(settings),
    )
    would = "would be " if dry_run else ""
    for notice in report.warned:
        click.echo(f"{notice.case_id}\t{would}warned\tpurge on {notice.purge_on.isoformat()}")
    for case_id in report.purged:
        click.echo(f"{case_id}\t{would}purged")
    click.echo(
        f"{'dry run: ' if dry_run else ''}{len(report.warned)} warned "
        f"({report.warning_messages} messages), {len(report.purged)} purged "
        f"({report.files_shredded} files), {report.orphans_shredded} orphan files, "
        f"{report.idempotency_cleared} idempotency keys cleared"
    )
    if report.warning_failed:
        raise click.ClickException("the purge warnings could not be sent; nothing was marked")


@cases_group.command("escalate")
def cases_escalate() -> None:
    """Release held escalation grants of cases past their acknowledgement deadline (cron)."""
    count = workflow.escalate_overdue(db.session())
    click.echo(f"escalated {count} cases")


@cases_group.command("count")
def cases_count() -> None:
    """Number of cases stored."""
    click.echo(str(db.session().scalar(select(func.count()).select_from(Case))))


notify_group = AppGroup("notify", help="Content-free notices to handlers.")


@notify_group.command("digest")
def notify_digest() -> None:
    """One batched summary per handler with an address: counts and a link, never content."""
    settings = wiring.settings()
    try:
        run = notifications.send_digests(
            db.session(),
            mailer.sender(settings),
            settings.public_url,
            due_days=settings.digest_due_days,
        )
    except mail.MailError as error:
        raise click.ClickException(str(error)) from error
    click.echo(
        f"sent {run.sent} digests ({run.handlers} handlers with an address, "
        f"{run.already_today} already had one today)"
    )


@notify_group.command("key-changes")
def notify_key_changes() -> None:
    """Tell each desk's other handlers, without content, of key entries not yet announced."""
    settings = wiring.settings()
    try:
        sent = key_alerts.send_pending_notices(
            db.session(), mailer.sender(settings), settings.public_url
        )
    except mail.MailError as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"sent {sent} key-change notices")
