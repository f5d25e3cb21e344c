"""`flask demo ...`: demonstration accounts, and starting the demo over."""

from __future__ import annotations

from pathlib import Path

import click
from flask.cli import AppGroup

from hotline import db, wiring
from hotline.services import demo
from hotline.services.context import ServiceContext
from hotline.services.errors import ServiceError

demo_group = AppGroup("demo", help="Demonstration data.")

RESET_HINT = "to start the demo over with new passwords: make demo-reset"


def _print_accounts(accounts: list[demo.DemoAccount]) -> None:
    click.echo("Demo accounts (development only; passwords are shown this once):")
    click.echo(f"  {'username':24}{'desk':18}password")
    for account in accounts:
        shown = account.password if account.password is not None else f"({account.error})"
        click.echo(f"  {account.username:24}{account.desk:18}{shown}")
    click.echo(
        "Sign in on the handler console (/console); the first sign-in shows a QR code to "
        "enrol an authenticator app (TOTP)."
    )


@demo_group.command("seed")
@click.option("--if-empty", is_flag=True, help="Do nothing when handlers exist already.")
def demo_seed(if_empty: bool) -> None:
    """Desks, categories and one demo handler per desk; prints their passwords once."""
    session = db.session()
    if if_empty and demo.has_handlers(session):
        click.echo(f"Demo accounts exist already (passwords were shown once); {RESET_HINT}")
        return
    ctx: ServiceContext = wiring.services().context
    made = demo.seed(session, ctx, Path(wiring.settings().routing_file))
    _print_accounts(made)
    _print_keys(ctx)


def _print_keys(ctx: ServiceContext) -> None:
    if ctx.keys.online_root is not None:
        click.echo(
            "Their keys were signed by the demo's ONLINE organisation root, fingerprint "
            f"{ctx.keys.fingerprint} (real installations keep the root offline: docs/keys.md)."
        )
    else:
        click.echo(
            "Their keys await the organisation root's signature and receive no report until "
            "then: flask keys requests, sign, import (docs/keys.md)."
        )


@demo_group.command("reset")
@click.confirmation_option(
    prompt="Delete every case, file, account and audit entry of this demo instance?"
)
def demo_reset() -> None:
    """Wipe the demo instance and create the demo accounts again with new passwords.

    Refuses when the instance has any account that is not a demo account.
    """
    ctx: ServiceContext = wiring.services().context
    try:
        made = demo.reset(db.session(), ctx, Path(wiring.settings().routing_file))
    except ServiceError as error:
        raise click.ClickException(error.message) from error
    click.echo("The demo instance was wiped.")
    _print_accounts(made)
    _print_keys(ctx)
