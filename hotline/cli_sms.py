"""`flask sms ...`: a local Twilio simulator and the Twilio deletion queue."""

from __future__ import annotations

import secrets
import sys
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET

import click
from flask.cli import AppGroup

from hotline import db, wiring
from hotline.services import sms_records, twilio_cleanup
from integrations.twilio.signature import SignatureChecker

sms_group = AppGroup("sms", help="The SMS line (Twilio).")


def send_signed(
    url_base: str, token: str, number: str, body: str, sid: str | None = None
) -> tuple[int, list[str]]:
    """POST one inbound message exactly as Twilio does (form fields and X-Twilio-Signature)."""
    form = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": "+815000000000",
        "Body": body,
        "NumMedia": "0",
    }
    if not url_base.startswith(("http://", "https://")):
        raise click.ClickException("the URL must be http(s)")
    signature = SignatureChecker(token, url_base).sign("/sms/inbound", form)
    request = urllib.request.Request(  # noqa: S310 (scheme checked above)
        url_base.rstrip("/") + "/sms/inbound",
        data=urllib.parse.urlencode(form).encode(),
        headers={
            "X-Twilio-Signature": signature,
            "Content-Type": "application/x-www-form-urlencoded",
        },
    )
    try:
        with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310 (operator URL)
            xml = response.read().decode("utf-8")
            status = response.status
    except urllib.error.HTTPError as error:
        return error.code, [error.read().decode("utf-8", "replace")]
    root = ET.fromstring(xml)  # noqa: S314 (our own server's TwiML)
    return status, [m.text or "" for m in root.iter("Message")]


@sms_group.command("simulate")
@click.option("--url", default=None, help="The hotline's public URL (default HOTLINE_PUBLIC_URL).")
@click.option(
    "--from",
    "number",
    default="+819012345678",
    show_default=True,
    help="A made-up phone number for the simulated texter.",
)
def simulate(url: str | None, number: str) -> None:
    """Text the running hotline as Twilio would: type messages, read the replies."""
    token = wiring.settings().twilio_auth_token
    if not token:
        raise click.ClickException(
            "set HOTLINE_TWILIO_AUTH_TOKEN (any value, the same for the server and here)"
        )
    base = url or wiring.settings().public_url
    click.echo(f"Texting {base}/sms/inbound as {number}. Empty line or Ctrl-D to stop.")
    for line in sys.stdin:
        text = line.rstrip("\n")
        if not text:
            break
        status, replies = send_signed(base, token, number, text)
        if status != 200:
            click.echo(f"  [HTTP {status}] {' '.join(replies)[:200]}")
            continue
        for reply in replies:
            click.echo(f"  < {reply}")


@sms_group.command("purge-twilio")
def purge_twilio() -> None:
    """Delete processed message bodies at Twilio (retries what failed before)."""
    cleaner = wiring.services().twilio_cleaner
    if cleaner is None:
        raise click.ClickException("set HOTLINE_TWILIO_ACCOUNT_SID and HOTLINE_TWILIO_AUTH_TOKEN")
    deleted, pending = twilio_cleanup.run_queue(db.session(), wiring.services().context, cleaner)
    click.echo(f"deleted {deleted}, still pending {pending}")


@sms_group.command("purge")
def purge() -> None:
    """Erase retry answers past Twilio's retry window, forget old MessageSid tags, drop
    deletion rows that can never run (run every few minutes from cron without Redis)."""
    result = sms_records.purge(db.session(), sms_records.policy_from_settings(wiring.settings()))
    click.echo(
        f"{result.replies_erased} retry answers erased, {result.tags_forgotten} tags "
        f"forgotten, {result.deletions_dropped} deletion rows dropped"
    )
