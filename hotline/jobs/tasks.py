"""What each periodic job does: the same service calls as the cron commands.

Every task is idempotent (running it twice does the work once: purged cases are gone, a
digest goes once a day, escalations and erasures test their own conditions) and returns
counts only: RQ keeps results in Redis, and no case id or content belongs there.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import Flask

from hotline import db
from hotline.services import notifications, retention, sms_records, twilio_cleanup, workflow
from integrations import mail
from integrations.twilio.deletion import TwilioCleaner


class JobIncomplete(Exception):
    """Work is left that a later attempt can finish (RQ retries it with backoff)."""


def twilio_deletions(app: Flask) -> dict[str, int]:
    cleaner: TwilioCleaner | None = app.extensions.get("hotline.twilio_cleaner")
    if cleaner is None:
        return {"deleted": 0, "pending": 0}
    deleted, pending = twilio_cleanup.run_queue(
        db.session(),
        app.extensions["hotline.services"],
        cleaner,
        max_attempts=int(app.config["TWILIO_DELETE_ATTEMPTS"]),
    )
    if pending:
        raise JobIncomplete(f"{pending} deletions pending")
    return {"deleted": deleted, "pending": pending}


def sms_purge(app: Flask) -> dict[str, int]:
    result = sms_records.purge(db.session(), sms_records.policy_from_config(app.config))
    return {
        "replies_erased": result.replies_erased,
        "tags_forgotten": result.tags_forgotten,
        "deletions_dropped": result.deletions_dropped,
    }


def escalations(app: Flask) -> dict[str, int]:
    return {"escalated": workflow.escalate_overdue(db.session())}


def digests(app: Flask) -> dict[str, int]:
    config = app.config
    run = notifications.send_digests(
        db.session(),
        mail.sender_from_config(config),
        str(config["PUBLIC_URL"]),
        due_days=int(config["DIGEST_DUE_DAYS"]),
    )
    return {"sent": run.sent, "already_today": run.already_today}


def retention_purge(app: Flask) -> dict[str, int]:
    config = app.config
    report = retention.run(
        db.session(),
        app.extensions["hotline.blobs"],
        mail.sender_from_config(config),
        retention.RetentionPolicy(int(config["RETENTION_DAYS"]), int(config["PURGE_WARNING_DAYS"])),
        str(config["PUBLIC_URL"]),
        sms_policy=sms_records.policy_from_config(config),
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
