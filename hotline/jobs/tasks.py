"""What each periodic job does: the same service calls as the cron commands.

Every task is idempotent (running it twice does the work once: purged cases are gone, a
digest goes once a day, escalations and erasures test their own conditions) and returns
counts only: RQ keeps results in Redis, and no case id or content belongs there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from hotline import db, mailer, wiring
from hotline.services import notifications, retention, sms_records, twilio_cleanup, workflow
from integrations.twilio.deletion import TwilioCleaner


class JobIncomplete(Exception):
    """Work is left that a later attempt can finish (RQ retries it with backoff)."""


def twilio_deletions(app: Flask) -> dict[str, int]:
    cleaner: TwilioCleaner | None = wiring.services(app).twilio_cleaner
    if cleaner is None:
        return {"deleted": 0, "pending": 0}
    deleted, pending = twilio_cleanup.run_queue(
        db.session(),
        wiring.services(app).context,
        cleaner,
        max_attempts=wiring.settings(app).twilio_delete_attempts,
    )
    if pending:
        raise JobIncomplete(f"{pending} deletions pending")
    return {"deleted": deleted, "pending": pending}


def sms_purge(app: Flask) -> dict[str, int]:
    result = sms_records.purge(db.session(), sms_records.policy_from_settings(wiring.settings(app)))
    return {
        "replies_erased": result.replies_erased,
        "tags_forgotten": result.tags_forgotten,
        "deletions_dropped": result.deletions_dropped,
    }


def escalations(app: Flask) -> dict[str, int]:
    return {"escalated": workflow.escalate_overdue(db.session())}


def digests(app: Flask) -> dict[str, int]:
    settings = wiring.settings(app)
    run = notifications.send_digests(
        db.session(),
        mailer.sender(settings),
        settings.public_url,
        due_days=settings.digest_due_days,
    )
    return {"sent": run.sent, "already_today": run.already_today}


def retention_purge(app: Flask) -> dict[str, int]:
    settings = wiring.settings(app)
    report = retention.run(
        db.session(),
        wiring.services(app).blobs,
        mailer.sender(settings),
        retention.RetentionPolicy(settings.retention_days, settings.purge_warning_days),
        settings.public_url,
        sms_policy=sms_records.policy_from_settings(settings),
    )
    if report.warning_failed:
        raise JobIncomplete("purge warnings could not be sent")
    return {
        "warned": len(report.warned),
        "purged": len(report.purged),
        "files_shredded": report.files_shredded,
        "orphans_shredded": report.orphans_shredded,
    }


# name: (task, seconds between runs)
SCHEDULE: dict[str, tuple[Callable[[Flask], dict[str, int]], int]] = {
    "twilio-deletions": (twilio_deletions, 600),
    "sms-purge": (sms_purge, 300),
    "escalations": (escalations, 3600),
    "digests": (digests, 86_400),
    "retention": (retention_purge, 86_400),
}
