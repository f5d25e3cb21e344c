"""The mail sender the settings describe: SMTP, or the outbox folder (development)."""

from __future__ import annotations

from hotline.config import Settings
from integrations.mail import MailSender, SmtpSettings, make_sender


def sender(settings: Settings) -> MailSender:
    smtp = (
        SmtpSettings(
            host=settings.smtp_host,
            port=settings.smtp_port,
            user=settings.smtp_user,
            password=settings.smtp_password,
            sender=settings.smtp_from,
            starttls=settings.smtp_starttls,
            timeout=settings.smtp_timeout_seconds,
            ca_file=settings.smtp_ca_file,
        )
        if settings.smtp_host
        else None
    )
    return make_sender(settings.mail_outbox, settings.smtp_from, smtp)
