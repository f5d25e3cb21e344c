"""Sending content-free notices to handlers: by SMTP, or into a local outbox folder.

Nothing here knows about cases: a service composes the message (counts, dates, case ids,
a link) and hands it over. In development, with no SMTP host configured, every message is
written as an .eml file into the outbox folder, where it can be opened with any mail
program; nothing leaves the machine.
"""

from __future__ import annotations

import os
import secrets
import smtplib
import ssl
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, make_msgid
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class OutgoingMail:
    to: str
    subject: str
    body: str


class MailSender(Protocol):
    def send(self, mails: list[OutgoingMail]) -> int:
        """Send every message; return how many were handed over."""
        ...


class MailError(RuntimeError):
    """The mail could not be handed over (the message names no recipient or content)."""


@dataclass(frozen=True)
class SmtpSettings:
    host: str
    port: int = 587
    user: str = ""
    password: str = ""
    sender: str = "hotline@localhost"
    starttls: bool = True
    timeout: float = 30.0
    ca_file: str = ""  # a private CA for an internal relay; the system's CAs otherwise


def _build(mail: OutgoingMail, sender: str) -> EmailMessage:
    message = EmailMessage()
    message["From"] = sender
    message["To"] = mail.to
    message["Subject"] = mail.subject
    message["Date"] = format_datetime(datetime.now(UTC))
    domain = sender.rsplit("@", 1)[-1] if "@" in sender else "localhost"
    message["Message-ID"] = make_msgid(domain=domain)
    # Ask mail servers and clients not to auto-reply or track; the body is plain text.
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(mail.body)
    return message


class SmtpSender:
    """One SMTP connection per batch; STARTTLS and login when configured."""

    def __init__(self, settings: SmtpSettings) -> None:
        self.settings = settings

    def send(self, mails: list[OutgoingMail]) -> int:
        if not mails:
            return 0
        s = self.settings
        try:
            with smtplib.SMTP(s.host, s.port, timeout=s.timeout) as smtp:
                smtp.ehlo()
                if s.starttls:
                    context = ssl.create_default_context(cafile=s.ca_file or None)
                    smtp.starttls(context=context)
                    smtp.ehlo()
                if s.user:
                    smtp.login(s.user, s.password)
                for mail in mails:
                    smtp.send_message(_build(mail, s.sender))
        except (OSError, smtplib.SMTPException) as exc:
            raise MailError(f"SMTP delivery failed ({type(exc).__name__})") from exc
        return len(mails)


class OutboxSender:
    """Development: each message becomes one .eml file in a local folder (mode 0600)."""

    def __init__(self, folder: Path, sender: str = "hotline@localhost") -> None:
        self.folder = folder
        self.sender = sender

    def send(self, mails: list[OutgoingMail]) -> int:
        if not mails:
            return 0
        self.folder.mkdir(parents=True, exist_ok=True, mode=0o700)
        stamp = datetime.now(UTC).strftime("%Y%m%d")
        for mail in mails:
            data = _build(mail, self.sender).as_bytes()
            path = self.folder / f"{stamp}-{secrets.token_hex(8)}.eml"
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "wb") as handle:
                handle.write(data)
        return len(mails)


def make_sender(outbox: str, sender: str, smtp: SmtpSettings | None) -> MailSender:
    """SMTP when it is configured and no outbox folder is forced, else the outbox folder."""
    if outbox or smtp is None:
        return OutboxSender(Path(outbox), sender)
    return SmtpSender(smtp)
