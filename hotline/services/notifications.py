"""Content-free notices to handlers: the daily digest and the purge warning.

A notice says how many cases need attention, or which case ids are about to be purged and
when, and links to the console. It never carries a category, a status, a channel or any
text: a mailbox is not a safe place for any of that. Messages are batched: one per handler
per run.

The digest's "new cases" window is day-granular and half-open, [last digest day, today):
run daily, every grant is counted in exactly one digest, whatever the hour the cron job and
the grant happened at. A handler who already had a digest today gets nothing more today.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Case, CaseGrant, CaseStatus, Handler
from hotline.services import dates
from integrations.mail import MailSender, OutgoingMail

log = logging.getLogger("hotline.notifications")

DIGEST_SUBJECT = "Hotline: your case summary / 通報窓口: 担当案件のお知らせ"
PURGE_SUBJECT = "Hotline: closed cases to be deleted / 通報窓口: 削除予定の終了案件"


@dataclass(frozen=True)
class DigestCounts:
    handler_id: int
    new_cases: int
    due_soon: int
    overdue: int

    @property
    def empty(self) -> bool:
        return self.new_cases == 0 and self.due_soon == 0 and self.overdue == 0


@dataclass(frozen=True)
class DigestRun:
    handlers: int  # handlers with an address who were considered
    sent: int
    already_today: int
    counts: list[DigestCounts]  # one per message sent


@dataclass(frozen=True)
class PurgeNotice:
    case_id: str
    purge_on: date


def console_link(public_url: str) -> str:
    return public_url.rstrip("/") + "/console"


def digest_counts(
    session: Session, handler_id: int, since: date | None, today: date, due_days: int
) -> DigestCounts:
    """Counts for one handler: new released grants in [since, today), due soon, overdue."""
    new_query = select(func.count()).where(
        CaseGrant.handler_id == handler_id,
        CaseGrant.released.is_(True),
        CaseGrant.granted_on < today,
    )
    if since is not None:
        new_query = new_query.where(CaseGrant.granted_on >= since)
    mine = (
        select(CaseGrant.case_id)
        .where(CaseGrant.handler_id == handler_id, CaseGrant.released.is_(True))
        .scalar_subquery()
    )
    due = select(func.count()).where(
        Case.id.in_(mine),
        Case.status == CaseStatus.RECEIVED,
        Case.acknowledge_by >= today,
        Case.acknowledge_by <= today + timedelta(days=due_days),
    )
    overdue = select(func.count()).where(
        Case.id.in_(mine),
        Case.status != CaseStatus.CLOSED,
        Case.next_deadline < today,
    )
    return DigestCounts(
        handler_id,
        int(session.scalar(new_query) or 0),
        int(session.scalar(due) or 0),
        int(session.scalar(overdue) or 0),
    )


def digest_text(counts: DigestCounts, due_days: int, console_url: str) -> str:
    return "\n".join(
        [
            "Summary of the cases assigned to you (numbers only: read them in the console).",
            "",
            f"New cases since your last summary: {counts.new_cases}",
            f"Acknowledgement due within {due_days} days: {counts.due_soon}",
            f"Overdue: {counts.overdue}",
            "",
            f"Console: {console_url}",
            "",
            "This message never contains case details. Do not forward it.",
            "",
            "----",
            "担当案件のお知らせです。件数のみをお知らせします。内容はコンソールで確認してください。",
            "",
            f"前回のお知らせ以降の新しい案件: {counts.new_cases} 件",
            f"{due_days} 日以内に受付通知の期限を迎える案件: {counts.due_soon} 件",
            f"期限を過ぎた案件: {counts.overdue} 件",
            "",
            f"コンソール: {console_url}",
            "",
            "このメールに案件の内容は含まれません。転送しないでください。",
            "",
        ]
    )


def _recipients(session: Session, handler_ids: Iterable[int] | None = None) -> list[Handler]:
    query = (
        select(Handler)
        .where(Handler.active.is_(True), Handler.email != "", Handler.desk_id.is_not(None))
        .order_by(Handler.id)
    )
    if handler_ids is not None:
        query = query.where(Handler.id.in_(list(handler_ids)))
    return list(session.scalars(query))


def send_digests(
    session: Session,
    sender: MailSender,
    public_url: str,
    today: date | None = None,
    due_days: int = 2,
) -> DigestRun:
    """One message per handler with an address and something to report; at most once a day."""
    today = today or dates.today()
    link = console_link(public_url)
    handlers = _recipients(session)
    mails: list[OutgoingMail] = []
    sent_counts: list[DigestCounts] = []
    already = 0
    considered: list[Handler] = []
    for handler in handlers:
        if handler.last_digest_on is not None and handler.last_digest_on >= today:
            already += 1
            continue
        considered.append(handler)
        counts = digest_counts(session, handler.id, handler.last_digest_on, today, due_days)
        if counts.empty:
            continue
        text = digest_text(counts, due_days, link)
        mails.append(OutgoingMail(handler.email, DIGEST_SUBJECT, text))
        sent_counts.append(counts)
    sender.send(mails)  # raises MailError: then nothing is marked as sent
    for handler in considered:
        handler.last_digest_on = today
    session.commit()
    log.info("notify.digest", extra={"count": len(mails)})
    return DigestRun(len(handlers), len(mails), already, sent_counts)


def purge_warning_text(notices: Sequence[PurgeNotice], console_url: str) -> str:
    lines = [
        "These closed cases assigned to you will be deleted for good (report, messages, notes,",
        "files and keys) on or after the date shown, as the retention policy requires.",
        "Export anything that must be kept before then.",
        "",
    ]
    lines += [f"  {n.case_id}  {n.purge_on.isoformat()}" for n in notices]
    lines += [
        "",
        f"Console: {console_url}",
        "",
        "----",
        "以下の終了案件は、保存期間の方針により、表示の日以降に通報内容・メッセージ・",
        "メモ・ファイル・鍵のすべてが完全に削除されます。保存が必要なものはそれまでに",
        "書き出してください。",
        "",
    ]
    lines += [f"  {n.case_id}  {n.purge_on.isoformat()}" for n in notices]
    lines += ["", f"コンソール: {console_url}", ""]
    return "\n".join(lines)


def purge_warnings(
    session: Session, notices: Sequence[PurgeNotice], public_url: str
) -> list[OutgoingMail]:
    """One message per handler holding a released grant on any of the cases (ids and dates)."""
    by_case = {n.case_id: n for n in notices}
    if not by_case:
        return []
    holders: dict[int, list[PurgeNotice]] = {}
    rows = session.execute(
        select(CaseGrant.handler_id, CaseGrant.case_id)
        .where(CaseGrant.case_id.in_(list(by_case)), CaseGrant.released.is_(True))
        .order_by(CaseGrant.case_id)
    )
    for handler_id, case_id in rows:
        holders.setdefault(handler_id, []).append(by_case[case_id])
    link = console_link(public_url)
    return [
        OutgoingMail(h.email, PURGE_SUBJECT, purge_warning_text(holders[h.id], link))
        for h in _recipients(session, holders)
    ]
