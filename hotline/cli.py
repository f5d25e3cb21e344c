"""Operator commands: `flask --app wsgi <group> <command>`."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path

import click
from flask import Flask, current_app
from flask.cli import AppGroup
from sqlalchemy import func, select

from hotline import db, migrate
from hotline.models import Case, Handler
from hotline.services import accounts, cases, handler_access, routing
from hotline.services.context import ServiceContext
from hotline.services.errors import ServiceError


def _ctx() -> ServiceContext:
    ctx: ServiceContext = current_app.extensions["hotline.services"]
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
    """Create or migrate the schema to the newest revision."""
    migrate.upgrade(current_app.config["DATABASE_URL"])
    click.echo("database is up to date")


routing_group = AppGroup("routing", help="Desks, categories and routing policy.")


@routing_group.command("load")
@click.option("--file", "path", type=click.Path(exists=True, dir_okay=False), default=None)
@click.option("--if-empty", is_flag=True, help="Only when no category exists yet.")
def routing_load(path: str | None, if_empty: bool) -> None:
    """Create or update desks and categories from the policy file."""
    session = db.session()
    from hotline.models import Category

    if if_empty and session.scalar(select(func.count()).select_from(Category)):
        click.echo("routing policy present; nothing loaded")
        return
    desks, categories = routing.load_policy(
        session, Path(path or current_app.config["ROUTING_FILE"])
    )
    click.echo(f"loaded {desks} desks and {categories} categories")


handlers_group = AppGroup("handlers", help="Handler accounts.")


@handlers_group.command("create")
@click.option("--username", required=True)
@click.option("--desk", required=True, help="Desk slug, e.g. compliance or ombudsperson.")
@click.option("--display-name", default=None)
@click.option("--role", default="")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def handlers_create(
    username: str, desk: str, display_name: str | None, role: str, password_stdin: bool
) -> None:
    """Create a handler with fresh keys; prints the one-time recovery key."""
    password = _read_password(password_stdin, confirm=True)
    try:
        created = accounts.create_handler(
            db.session(), _ctx(), username, desk, password, display_name, role
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
    for h in accounts.list_handlers(db.session()):
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
        click.echo(f"\n--- {m.author}, {m.sent_on} ---\n{m.body}")
    files = handler_access.attachments_of(session, who, case_id)
    if files:
        click.echo("\nFiles (open them in the console; the CLI never writes plaintext to disk):")
        for f in files:
            click.echo(f"  {f.attachment_id}  {f.name}  {f.content_type}  {f.size} bytes")


demo_group = AppGroup("demo", help="Demonstration data.")

DEMO_HANDLERS = (
    ("compliance", "compliance.officer", "Compliance officer", "Compliance office"),
    ("harassment", "harassment.counsellor", "Harassment counsellor", "Consultation desk"),
    ("audit_committee", "audit.chair", "Audit committee chair", "Audit committee"),
    ("data_protection", "privacy.officer", "Data protection officer", "Data protection"),
    ("ombudsperson", "ombudsperson", "External ombudsperson", "Outside counsel"),
)


@demo_group.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when handlers exist already.")
def demo_seed(if_empty: bool) -> None:
    """Desks, categories and one demo handler per desk; prints their passwords."""
    session = db.session()
    if if_empty and session.scalar(select(func.count()).select_from(Handler)):
        click.echo("handlers present; demo seed skipped")
        return
    routing.load_policy(session, Path(current_app.config["ROUTING_FILE"]))
    click.echo("Demo handlers (development only; change or remove before real use):")
    for desk, username, display, role in DEMO_HANDLERS:
        password = "-".join(secrets.token_urlsafe(6) for _ in range(3))
        try:
            accounts.create_handler(session, _ctx(), username, desk, password, display, role)
        except ServiceError as error:
            click.echo(f"  {username}: {error.message}")
            continue
        click.echo(f"  {username:24} desk {desk:16} password {password}")


@cases_group.command("count")
def cases_count() -> None:
    """Number of cases stored."""
    click.echo(str(db.session().scalar(select(func.count()).select_from(Case))))


def register(app: Flask) -> None:
    for group in (db_group, routing_group, handlers_group, cases_group, demo_group):
        app.cli.add_command(group)
