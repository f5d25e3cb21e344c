"""Retention: closed cases are deleted for good after a configurable period.

`run` is what `flask cases purge` does once a day:

1. **Warn.** A closed case whose purge day is at most `warning_days` away, and whose
   handlers were not warned yet, gets `purge_warned_on` set; every active handler holding a
   released grant gets one content-free message listing case ids and purge dates.
2. **Purge.** A closed case is purged once `retention_days` have passed since it was closed
   *and* its handlers were warned at least `warning_days` ago; a case that was never warned
   (the job did not run, or the period was shortened) is warned first, so nobody loses a
   case without notice. Purging deletes the case row, and with it, by ON DELETE CASCADE,
   every grant, message, note, exclusion and attachment row, and each attachment's
   ciphertext chunks, in one transaction. An audit entry "purged" (no actor) keeps the
   fact. On SQLite (secure_delete on) the WAL is checkpointed and truncated so no deleted
   page lingers in it.
3. **Sweep.** Uploads no attachment claimed (a request that crashed before its teardown)
   are removed once they are two days old, and so is any chunk nothing owns.
4. **Forget retries.** The idempotency tag and sealed receipt that let a channel adapter
   replay a submission are cleared once a case is more than a day old.
5. **SMS bookkeeping.** Retry answers past Twilio's retry window, MessageSid tags past the
   replay memory and deletion rows that can never run are purged with the cases
   (hotline/services/sms_records.py; also on their own schedule).
6. **Planner statistics.** On SQLite, ANALYZE keeps the query planner on the
   console's indexes as the case table grows (PostgreSQL's autovacuum does this itself).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import delete, func, or_, select, update
from sqlalchemy.orm import Session

from hotline.blobs.store import BlobStore
from hotline.models import Attachment, Case, CaseStatus
from hotline.services import audit, dates, notifications, sms_records
from integrations.mail import MailError, MailSender

log = logging.getLogger("hotline.retention")

IDEMPOTENCY_DAYS = 1


@dataclass(frozen=True)
class RetentionPolicy:
    retention_days: int = 90
    warning_days: int = 14


@dataclass
class PurgeReport:
    dry_run: bool
    warned: list[notifications.PurgeNotice] = field(default_factory=list)
    warning_messages: int = 0
    warning_failed: bool = False
    purged: list[str] = field(default_factory=list)
    files_shredded: int = 0
    orphans_shredded: int = 0
    idempotency_cleared: int = 0
    sms: sms_records.SmsPurge = field(default_factory=sms_records.SmsPurge)


def purge_day(closed_on: date, warned_on: date | None, policy: RetentionPolicy) -> date:
    """The first day a closed case may be purged."""
    due = closed_on + timedelta(days=policy.retention_days)
    if warned_on is None:
        return due
    return max(due, warned_on + timedelta(days=policy.warning_days))


def _to_warn(session: Session, policy: RetentionPolicy, today: date) -> list[Case]:
    horizon = today + timedelta(days=policy.warning_days - policy.retention_days)
    return list(
        session.scalars(
            select(Case)
            .where(
                Case.status == CaseStatus.CLOSED,
                Case.closed_on.is_not(None),
                Case.closed_on <= horizon,
                Case.purge_warned_on.is_(None),
            )
            .order_by(Case.closed_on, Case.id)
        )
    )


def _to_purge(session: Session, policy: RetentionPolicy, today: date) -> list[str]:
    return list(
        session.scalars(
            select(Case.id)
            .where(
                Case.status == CaseStatus.CLOSED,
                Case.closed_on <= today - timedelta(days=policy.retention_days),
                Case.purge_warned_on <= today - timedelta(days=policy.warning_days),
            )
            .order_by(Case.closed_on, Case.id)
        )
    )


def warn(
    session: Session,
    sender: MailSender,
    policy: RetentionPolicy,
    public_url: str,
    today: date,
    dry_run: bool,
    report: PurgeReport,
) -> None:
    cases = _to_warn(session, policy, today)
    # Warned today: purged no earlier than warning_days from now.
    notices = [
        notifications.PurgeNotice(c.id, purge_day(c.closed_on or today, today, policy))
        for c in cases
    ]
    report.warned = notices
    if not notices:
        return
    mails = notifications.purge_warnings(session, notices, public_url)
    report.warning_messages = len(mails)
    if dry_run:
        session.rollback()
        return
    try:
        sender.send(mails)
    except MailError:
        # No case is marked as warned, so none is purged; the next run tries again.
        session.rollback()
        report.warning_failed = True
        log.error("retention.warning_failed", extra={"count": len(notices)})
        return
    session.execute(
        update(Case)
        .where(Case.id.in_([n.case_id for n in notices]), Case.purge_warned_on.is_(None))
        .values(purge_warned_on=today)
        .execution_options(synchronize_session=False)
    )
    session.commit()
    log.info("retention.warned", extra={"count": len(notices)})


def purge_case(session: Session, blobs: BlobStore, case_id: str) -> int:
    """Delete one case and everything hanging off it; return how many files went with it."""
    files = list(session.scalars(select(Attachment.id).where(Attachment.case_id == case_id)))
    blobs.delete(session, files)
    deleted = session.execute(
        delete(Case).where(Case.id == case_id).execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    if deleted != 1:
        session.rollback()
        return 0
    audit.append(session, None, "purged", case_id, f"files:{len(files)}")
    session.commit()
    log.info("case.purged", extra={"case_id": case_id, "count": len(files)})
    return len(files)


def _checkpoint(session: Session) -> None:
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        session.commit()


def refresh_planner_statistics(session: Session) -> None:
    """SQLite has no autoanalyze. A full ANALYZE reads only the (narrow) indexes: about
    0.2 s at 100,000 cases; sampled statistics (analysis_limit) misled the planner."""
    if session.get_bind().dialect.name == "sqlite":
        session.connection().exec_driver_sql("ANALYZE")
        session.commit()


def clear_idempotency(session: Session, today: date, dry_run: bool) -> int:
    old = Case.received_on < today - timedelta(days=IDEMPOTENCY_DAYS)
    holding = or_(Case.idempotency_tag.is_not(None), Case.idempotent_receipt.is_not(None))
    if dry_run:
        count = int(session.scalar(select(func.count()).where(old, holding)) or 0)
        session.rollback()
        return count
    cleared = session.execute(
        update(Case)
        .where(old, holding)
        .values(idempotency_tag=None, idempotent_receipt=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    session.commit()
    return int(cleared)


def run(
    session: Session,
    blobs: BlobStore,
    sender: MailSender,
    policy: RetentionPolicy,
    public_url: str,
    today: date | None = None,
    dry_run: bool = False,
    sms_policy: sms_records.SmsPolicy | None = None,
) -> PurgeReport:
    """Warn, purge, sweep orphans, forget idempotency keys. `dry_run` changes nothing."""
    today = today or dates.today()
    report = PurgeReport(dry_run=dry_run)
    warn(session, sender, policy, public_url, today, dry_run, report)
    due = _to_purge(session, policy, today)
    session.rollback()
    if dry_run:
        report.purged = due
    else:
        for case_id in due:
            report.files_shredded += purge_case(session, blobs, case_id)
            report.purged.append(case_id)
    report.orphans_shredded = blobs.sweep(session, today, dry_run)
    if not dry_run and (due or report.orphans_shredded):
        _checkpoint(session)
    report.idempotency_cleared = clear_idempotency(session, today, dry_run)
    if not dry_run:
        if sms_policy is not None:
            report.sms = sms_records.purge(session, sms_policy)
        refresh_planner_statistics(session)
    log.info(
        "retention.run",
        extra={"count": len(report.purged), "kind": "dry_run" if dry_run else "purge"},
    )
    return report
