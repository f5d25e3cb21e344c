"""Delete processed message bodies at Twilio, with retries (a queue in the database).

Run after each inbound message (in a background thread) and by `flask sms purge-twilio`
(cron) for whatever failed. Our TwiML replies are deleted too: their SIDs are found by the
texter's number, which exists only in memory while the inbound request is handled.
"""

from __future__ import annotations

import logging
import threading

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from hotline.models import TwilioDeletion
from hotline.services.context import ServiceContext
from hotline.services.sms_records import MAX_DELETION_ATTEMPTS
from integrations.twilio.deletion import DeletionFailed, TwilioCleaner

log = logging.getLogger("hotline.sms")
MAX_ATTEMPTS = MAX_DELETION_ATTEMPTS


def run_queue(
    session: Session,
    ctx: ServiceContext,
    cleaner: TwilioCleaner,
    limit: int = 200,
    max_attempts: int = MAX_ATTEMPTS,
) -> tuple[int, int]:
    """(deleted, still pending). A row is removed once deleted at Twilio or after its last
    failed attempt: the sealed SID is never kept beyond what it is for."""
    deleted = failed = given_up = 0
    rows = session.scalars(select(TwilioDeletion).order_by(TwilioDeletion.id).limit(limit))
    for row in list(rows):
        sid = ctx.keyring.pepper.unwrap("twilio-sid", row.sealed_sid).decode()
        try:
            cleaner.delete(sid)
        except DeletionFailed:
            row.attempts += 1
            if row.attempts >= max_attempts:
                session.delete(row)
                given_up += 1
            else:
                failed += 1
            continue
        session.delete(row)
        deleted += 1
    session.commit()
    if given_up:
        log.error("sms.twilio_delete_gave_up", extra={"count": given_up})
    if deleted or failed:
        log.info("sms.twilio_deleted", extra={"count": deleted, "reason": f"pending:{failed}"})
    return deleted, failed


def delete_outbound(cleaner: TwilioCleaner, to_number: str) -> int:
    try:
        sids = cleaner.outbound_sids(to_number)
    except DeletionFailed:
        return 0
    count = 0
    for sid in sids:
        try:
            cleaner.delete(sid)
            count += 1
        except DeletionFailed:
            continue
    return count


def in_background(
    sessions: sessionmaker[Session],
    ctx: ServiceContext,
    cleaner: TwilioCleaner,
    to_number: str,
    delay_seconds: float = 5,
    max_attempts: int = MAX_ATTEMPTS,
) -> threading.Thread:
    """After the reply is sent: delete the inbound body (queue) and our replies to this number."""

    def work() -> None:
        try:
            # Give Twilio a moment to deliver the TwiML reply before deleting it.
            threading.Event().wait(delay_seconds)
            with sessions() as session:
                run_queue(session, ctx, cleaner, max_attempts=max_attempts)
            delete_outbound(cleaner, to_number)
        except Exception as error:
            log.error("sms.cleanup_failed", extra={"kind": type(error).__name__})

    thread = threading.Thread(target=work, daemon=True, name="twilio-cleanup")
    thread.start()
    return thread
