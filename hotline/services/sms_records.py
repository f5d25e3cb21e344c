"""SMS bookkeeping and its lifetimes.

- **Retry answers** (`sms_deliveries.sealed_reply`, which may hold a receipt or a handler's
  reply) are kept only for Twilio's retry window (`SMS_RETRY_WINDOW_MINUTES`), sealed under
  a key derived from the pepper *and* the MessageSid, so neither the database with the
  pepper nor the database with Twilio's message log opens one. Expired answers are erased
  on every inbound text and by the scheduled purge.
- **MessageSid tags** (peppered, not reversible) stay for `SMS_REPLAY_MEMORY_DAYS`, so a
  captured signed webhook replayed after the window gets nothing at all. Twilio signs no
  time, so a replay older than the tag memory would be taken as new: rotate the Twilio
  auth token at least that often (it invalidates every captured signature).
- **Deletion rows** (`twilio_deletions`, the SID sealed under the pepper) are queued only
  when bodies can be deleted at Twilio (API credentials set), are removed after the
  deletion or its last attempt, and the purge drops any left while credentials are missing.
"""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from crypto.pepper import Pepper
from crypto.primitives import open_sealed, seal
from hotline.config import Settings
from hotline.models import SmsDelivery, TwilioDeletion
from hotline.services import dates

log = logging.getLogger("hotline.sms")
_REPLY_PURPOSE = "hotline:sms-reply:v2"
MAX_DELETION_ATTEMPTS = 20


@dataclass(frozen=True)
class SmsPolicy:
    retry_window_minutes: int = 10
    replay_memory_days: int = 400
    deletions_possible: bool = False


def policy_from_settings(settings: Settings) -> SmsPolicy:
    return SmsPolicy(
        retry_window_minutes=settings.sms_retry_window_minutes,
        replay_memory_days=settings.sms_replay_memory_days,
        deletions_possible=bool(settings.twilio_account_sid and settings.twilio_auth_token),
    )


@dataclass(frozen=True)
class SmsPurge:
    replies_erased: int = 0
    tags_forgotten: int = 0
    deletions_dropped: int = 0


def now() -> datetime:
    """Naive UTC, as stored."""
    return datetime.now(UTC).replace(tzinfo=None)


def _reply_key(pepper: Pepper, message_sid: str) -> bytes:
    return pepper.tag("sms-reply-key", message_sid.encode())


def sid_tag(pepper: Pepper, message_sid: str) -> bytes:
    return pepper.tag("sms-sid", message_sid.encode())


def earlier_answer(
    session: Session, pepper: Pepper, message_sid: str, at: datetime
) -> list[str] | None:
    """None for a message not seen before; the same answer for Twilio's retry within the
    window; an empty answer (nothing said) for a replay after it."""
    earlier = session.get(SmsDelivery, sid_tag(pepper, message_sid))
    if earlier is None:
        return None
    if earlier.sealed_reply is None or earlier.reply_until is None or earlier.reply_until <= at:
        log.warning("sms.replay_refused")
        return []
    log.info("sms.retry_replayed")
    plain = open_sealed(_reply_key(pepper, message_sid), earlier.sealed_reply, _REPLY_PURPOSE)
    replies: list[str] = json.loads(plain)
    return replies


def record(
    session: Session,
    pepper: Pepper,
    message_sid: str,
    replies: list[str],
    at: datetime,
    policy: SmsPolicy,
) -> None:
    """Remember this message (tag), its answer for the retry window, and, when bodies can be
    deleted at Twilio, queue its deletion. Expired answers are erased in the same commit."""
    erase_expired_replies(session, at)
    sealed = seal(
        _reply_key(pepper, message_sid),
        json.dumps(replies, ensure_ascii=False).encode(),
        _REPLY_PURPOSE,
    )
    session.add(
        SmsDelivery(
            sid_tag=sid_tag(pepper, message_sid),
            day=dates.today(),
            sealed_reply=sealed,
            reply_until=at + timedelta(minutes=policy.retry_window_minutes),
        )
    )
    if policy.deletions_possible:
        session.add(
            TwilioDeletion(
                sealed_sid=pepper.wrap("twilio-sid", message_sid.encode()), day=dates.today()
            )
        )


def erase_expired_replies(session: Session, at: datetime) -> int:
    erased = session.execute(
        update(SmsDelivery)
        .where(SmsDelivery.reply_until.is_not(None), SmsDelivery.reply_until <= at)
        .values(sealed_reply=None, reply_until=None)
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    return int(erased or 0)


def purge(session: Session, policy: SmsPolicy, at: datetime | None = None) -> SmsPurge:
    """The scheduled purge (and part of every retention run, so also when cases are purged)."""
    at = at or now()
    erased = erase_expired_replies(session, at)
    forgotten = session.execute(
        delete(SmsDelivery)
        .where(SmsDelivery.day < at.date() - timedelta(days=policy.replay_memory_days))
        .execution_options(synchronize_session=False)
    ).rowcount  # type: ignore[attr-defined]
    stale = delete(TwilioDeletion)
    if policy.deletions_possible:
        stale = stale.where(TwilioDeletion.attempts >= MAX_DELETION_ATTEMPTS)
    dropped = session.execute(stale.execution_options(synchronize_session=False)).rowcount  # type: ignore[attr-defined]
    session.commit()
    result = SmsPurge(int(erased or 0), int(forgotten or 0), int(dropped or 0))
    if dropped and not policy.deletions_possible:
        log.warning("sms.deletions_dropped", extra={"count": result.deletions_dropped})
    log.info("sms.purged", extra={"count": result.replies_erased + result.tags_forgotten + dropped})
    return result
