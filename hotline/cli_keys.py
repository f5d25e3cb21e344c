"""`flask keys ...`: the organisation root key and the signed handler key directory.

init-root   make the root key file (for an offline machine) and its public key file
requests    export pending signing requests with the directory head (online machine)
sign        turn a requests file into signed, chained entries (offline machine)
import      load signed entries (online machine); tells the desks
verify      check the chain, a saved head and every handler's keys (cron-friendly)
status      each handler's key state and fingerprint
rotate      give a handler new key pairs (re-grants their cases) and request a signature
request-missing   file requests for active handlers with nothing signed or pending
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click
from flask.cli import AppGroup

from crypto import signing
from crypto.errors import CryptoError, DecryptionError
from crypto.key_directory import DirectoryError, Head
from hotline import db, mailer, wiring
from hotline.models import Handler
from hotline.services import dates, key_alerts, key_directory, key_rotation
from hotline.services.context import ServiceContext
from hotline.services.errors import ServiceError
from integrations import mail

keys_group = AppGroup("keys", help="The organisation root key and the signed key directory.")


def _ctx() -> ServiceContext:
    ctx: ServiceContext = wiring.services().context
    return ctx


def _secret(stdin: bool, prompt: str, confirm: bool) -> str:
    if stdin:
        return sys.stdin.readline().rstrip("\r\n")
    value: str = click.prompt(prompt, hide_input=True, confirmation_prompt=confirm)
    return value


def _read_json(path: str) -> Any:
    try:
        return json.loads(Path(path).read_text("utf-8"))
    except (OSError, ValueError) as exc:
        raise click.ClickException(f"{path}: {exc}") from exc


def _write_new(path: Path, text: str) -> None:
    try:
        with path.open("x", encoding="utf-8") as out:
            out.write(text)
    except FileExistsError as exc:
        raise click.ClickException(f"{path} exists already; nothing was overwritten") from exc


@keys_group.command("init-root")
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False), help="Root key file.")
@click.option("--passphrase-stdin", is_flag=True, help="Read the passphrase from standard input.")
def init_root(out: str, passphrase_stdin: bool) -> None:
    """Make the root key file (keep it offline) and OUT.pub with its public half."""
    passphrase = _secret(passphrase_stdin, "Root key passphrase", confirm=True)
    if len(passphrase) < 12:
        raise click.ClickException("the passphrase must be at least 12 characters")
    private = signing.generate()
    path = Path(out)
    public_path = path.with_name(path.name + ".pub")
    _write_new(path, signing.root_file(private, passphrase, _ctx().keyring.password_params))
    path.chmod(0o600)
    _write_new(public_path, signing.public_file(private.public()))
    click.echo(f"root key file:   {path}  (keep it offline, with its passphrase apart)")
    click.echo(f"public key file: {public_path}  (HOTLINE_KEYS_ROOT_PUBLIC_FILE)")
    click.echo(f"fingerprint:     {private.public().fingerprint()}")


@keys_group.command("requests")
@click.option("--out", "out", type=click.Path(dir_okay=False), help="Write here, not stdout.")
def export_requests(out: str | None) -> None:
    """Export pending signing requests and the head they chain onto."""
    document = key_directory.export_requests(db.session())
    text = json.dumps(document, indent=2) + "\n"
    if out:
        _write_new(Path(out), text)
        click.echo(f"{len(document['requests'])} requests written to {out}", err=True)
    else:
        click.echo(text, nl=False)


@keys_group.command("sign")
@click.argument("requests_file", type=click.Path(exists=True, dir_okay=False))
@click.option("--root", "root_file", required=True, type=click.Path(exists=True, dir_okay=False))
@click.option("--out", "out", required=True, type=click.Path(dir_okay=False))
@click.option("--passphrase-stdin", is_flag=True, help="Read the passphrase from standard input.")
def sign(requests_file: str, root_file: str, out: str, passphrase_stdin: bool) -> None:
    """On the offline machine: sign a requests file with the root key file."""
    document = _read_json(requests_file)
    for item in document.get("requests", []) if isinstance(document, dict) else []:
        click.echo(
            f"  request {item.get('request_id')}: {item.get('kind')} handler "
            f"{item.get('handler_id')} desk {item.get('desk')} -> {item.get('status')}"
        )
    passphrase = _secret(passphrase_stdin, "Root key passphrase", confirm=False)
    try:
        root = signing.open_root_file(Path(root_file).read_text("utf-8"), passphrase)
        signed = key_directory.sign_requests(document, root, dates.today())
    except DecryptionError as exc:
        raise click.ClickException("wrong passphrase for the root key file") from exc
    except (CryptoError, ServiceError) as exc:
        raise click.ClickException(str(exc)) from exc
    _write_new(Path(out), json.dumps(signed, indent=2) + "\n")
    click.echo(f"{len(signed['entries'])} entries signed into {out}")


@keys_group.command("import")
@click.argument("entries_file", type=click.Path(exists=True, dir_okay=False))
def import_entries(entries_file: str) -> None:
    """Verify and append signed entries; notify the desks concerned."""
    session = db.session()
    try:
        added = key_directory.import_entries(session, _ctx().keys, _read_json(entries_file))
    except ServiceError as error:
        session.rollback()
        raise click.ClickException(error.message) from error
    session.commit()
    for entry in added:
        click.echo(
            f"entry {entry.body.sequence}: handler {entry.body.handler_id} "
            f"{entry.body.status} from {entry.body.valid_from}"
        )
    _send_notices()
    click.echo(f"head {key_directory.stored_head(session).text()}")


def _send_notices() -> None:
    settings = wiring.settings()
    try:
        sent = key_alerts.send_pending_notices(
            db.session(), mailer.sender(settings), settings.public_url
        )
    except mail.MailError as error:
        click.echo(f"key-change notices not sent ({error}); `flask notify key-changes` retries")
        return
    click.echo(f"{sent} key-change notices sent")


@keys_group.command("verify")
@click.option("--expect-head", help="A head saved earlier (SEQUENCE:HASH): catch rollbacks/forks.")
def verify(expect_head: str | None) -> None:
    """Check the directory; exit 1 on a break, a fork, a rollback or a substituted key."""
    try:
        expected = Head.parse(expect_head) if expect_head else None
        result = key_directory.verify(db.session(), _ctx().keys, dates.today(), expected)
    except (DirectoryError, CryptoError) as exc:
        click.echo(f"key directory FAILED: {exc}")
        sys.exit(1)
    except ServiceError as error:
        click.echo(f"key directory FAILED: {error.message}")
        sys.exit(1)
    for problem in result.problems:
        click.echo(f"key directory FAILED: {problem}")
    if result.problems:
        sys.exit(1)
    click.echo(f"key directory OK: {result.entries} entries, head {result.head.text()}")


@keys_group.command("status")
def status() -> None:
    """Each desk handler's key state (signed, pending, unsigned, revoked, mismatch)."""
    session = db.session()
    current = key_directory.signed_now(session, dates.today())
    trust = _ctx().keys
    click.echo(f"root fingerprint: {trust.fingerprint or '(none configured)'}")
    for s in key_directory.statuses(session, current):
        entry = f"entry {s.entry_sequence}" if s.entry_sequence else "no entry"
        click.echo(f"  {s.username:24} {s.desk:16} {s.state:9} {entry:10} {s.fingerprint}")


@keys_group.command("rotate")
@click.argument("username")
@click.option("--password-stdin", is_flag=True, help="Read the password from standard input.")
def rotate(username: str, password_stdin: bool) -> None:
    """New key pairs for a handler (their password stays); re-grants their cases."""
    password = _secret(password_stdin, "Password", confirm=False)
    try:
        done = key_rotation.rotate(db.session(), _ctx(), username, password)
    except ServiceError as error:
        db.session().rollback()
        raise click.ClickException(error.message) from error
    click.echo(f"new key fingerprint: {done.fingerprint}; {done.regranted} grants re-made")
    click.echo(f"new recovery key (shown once): {done.recovery_key}")
    if done.signed:
        click.echo("signed at once by the online root")
        _send_notices()
    else:
        click.echo("no new cases reach these keys until the root signs them (flask keys requests)")


@keys_group.command("request-missing")
def request_missing() -> None:
    """File signing requests for active desk handlers with nothing signed or pending."""
    session = db.session()
    current = key_directory.signed_now(session, dates.today())
    filed = 0
    for s in key_directory.statuses(session, current):
        handler = session.get(Handler, s.handler_id)
        if handler is None or not handler.active or s.state not in ("unsigned", "revoked"):
            continue
        key_directory.request_signature(
            session, _ctx().keys, handler, key_directory.NEW, dates.today()
        )
        filed += 1
    session.commit()
    click.echo(f"{filed} signing requests filed")
    if filed and _ctx().keys.online_root is not None:
        _send_notices()
