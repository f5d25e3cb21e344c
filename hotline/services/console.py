"""What the handler console shows: the case list (metadata, paged by keyset so it stays fast
at 100,000 cases), one case's ciphertext bundle for the handler's browser to decrypt, a
file's ciphertext, the colleagues a case can be shared with, and the labels the page needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from hotline.models import (
    Attachment,
    Case,
    CaseGrant,
    CaseStatus,
    Desk,
    Handler,
    Message,
    Note,
)
from hotline.services import audit, dates, notes_key, sequence
from hotline.services.case_view import CaseView, case_fields, message_author
from hotline.services.errors import InvalidInput, NotFound
from hotline.services.workflow import released_grant, require_grant

PAGE_MAX = 100
# Cases without a deadline (closed) sort after every open one.
_FAR = date(9999, 12, 31)


@dataclass(frozen=True)
class CaseRow(CaseView):
    days_open: int
    overdue: bool


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    next_cursor: str | None
    total: int


@dataclass(frozen=True)
class Filters:
    status: str | None = None
    category: str | None = None
    channel: str | None = None
    overdue_only: bool = False


def _cursor(row: Case) -> str:
    return f"{(row.next_deadline or _FAR).isoformat()}|{row.id}"


def _parse_cursor(cursor: str) -> tuple[date, str]:
    try:
        day, case_id = cursor.split("|", 1)
        return date.fromisoformat(day), case_id
    except ValueError as exc:
        raise InvalidInput("bad page cursor", field="cursor") from exc


def list_cases(
    session: Session, handler_id: int, filters: Filters, cursor: str | None = None, limit: int = 50
) -> CasePage:
    limit = max(1, min(limit, PAGE_MAX))
    today = dates.today()
    mine = and_(
        CaseGrant.case_id == Case.id,
        CaseGrant.handler_id == handler_id,
        CaseGrant.released.is_(True),
    )
    conditions: list[ColumnElement[bool]] = []
    if filters.status:
        try:
            conditions.append(Case.status == CaseStatus(filters.status))
        except ValueError as exc:
            raise InvalidInput("unknown status", field="status") from exc
    if filters.category:
        conditions.append(Case.category == filters.category)
    if filters.channel:
        conditions.append(Case.channel == filters.channel)
    if filters.overdue_only:
        conditions.append(Case.next_deadline < today)
    if conditions:
        counted = select(func.count()).select_from(Case).join(CaseGrant, mine).where(*conditions)
    else:  # every grant's case exists (foreign key): count the covering grants index alone
        counted = select(func.count()).where(
            CaseGrant.handler_id == handler_id, CaseGrant.released.is_(True)
        )
    total = session.scalar(counted) or 0
    # The order is (next_deadline or _FAR, id), walked as two index-ordered segments so a page
    # never sorts the whole list: open cases by (next_deadline, id), then closed ones (no
    # deadline) by id. The cursor format is the same either way.
    query = select(Case).join(CaseGrant, mine).where(*conditions)
    after_day, after_id = _parse_cursor(cursor) if cursor else (None, "")
    rows: list[Case] = []
    if after_day is None or after_day < _FAR:
        open_query = query.where(Case.next_deadline.is_not(None))
        if after_day is not None:
            open_query = open_query.where(
                or_(
                    Case.next_deadline > after_day,
                    and_(Case.next_deadline == after_day, Case.id > after_id),
                )
            )
        rows = list(
            session.scalars(open_query.order_by(Case.next_deadline, Case.id).limit(limit + 1))
        )
    if len(rows) <= limit:
        closed_query = query.where(Case.next_deadline.is_(None))
        if after_day == _FAR:
            closed_query = closed_query.where(Case.id > after_id)
        rows += session.scalars(closed_query.order_by(Case.id).limit(limit + 1 - len(rows)))
    more = len(rows) > limit
    rows = rows[:limit]
    return CasePage(
        rows=[
            CaseRow(
                **case_fields(c),
                days_open=(today - c.received_on).days,
                overdue=c.next_deadline is not None and c.next_deadline < today,
            )
            for c in rows
        ],
        next_cursor=_cursor(rows[-1]) if more and rows else None,
        total=int(total),
    )


@dataclass(frozen=True)
class SealedItem:
    item_id: str
    author: str
    handler_name: str
    day: date
    sealed: bytes
    # What the sealed body is bound to besides the case: "reporter" or "handler:<id>", and
    # its sequence number among the case's messages (or notes).
    author_id: str
    seq: int
    handler_id: int | None


@dataclass(frozen=True)
class CaseBundle(CaseView):
    grant: bytes  # this handler's case-key grant
    notes_grant: bytes | None  # this handler's notes-key grant, if the case has a notes key
    has_notes_key: bool  # whether any holder has one (made by the first handler with notes)
    next_message_seq: int
    next_note_seq: int
    sealed_report: bytes
    messages: list[SealedItem]
    notes: list[SealedItem]
    attachments: list[tuple[str, str, date, bytes, bytes, int]]
    # (handler id, name, role, released, has the notes key): a holder without the notes key
    # while the case has one (deactivated when it was made) can be given it by a colleague.
    holders: list[tuple[int, str, str, bool, bool]]
    trail: list[audit.AuditEntry]
    names: dict[int, str]  # every handler's display name, for the trail's actors


def open_bundle(session: Session, handler_id: int, case_id: str) -> CaseBundle:
    """Everything the browser needs to show a case; audited as a view."""
    return _bundle(session, handler_id, case_id, viewed=True)


def bundle_after_action(session: Session, handler_id: int, case_id: str) -> CaseBundle:
    """The case as it stands after the handler's own action (reply, note, status, grant), so
    the console can show it: that action's audit entry records it, not a second "view"."""
    return _bundle(session, handler_id, case_id, viewed=False)


def _bundle(session: Session, handler_id: int, case_id: str, viewed: bool) -> CaseBundle:
    case, released = released_grant(session, handler_id, case_id)
    grant = released.sealed_keys
    names = {h.id: h.display_name for h in session.scalars(select(Handler))}
    messages = [
        SealedItem(
            str(m.id),
            m.author.value,
            names.get(m.handler_id or -1, ""),
            m.sent_on,
            m.sealed_body,
            message_author(m.author, m.handler_id),
            m.seq,
            m.handler_id,
        )
        for m in session.scalars(
            select(Message).where(Message.case_id == case.id).order_by(Message.seq)
        )
    ]
    notes = [
        SealedItem(
            str(n.id),
            "handler",
            names.get(n.handler_id, ""),
            n.written_on,
            n.sealed_body,
            f"handler:{n.handler_id}",
            n.seq,
            n.handler_id,
        )
        for n in session.scalars(select(Note).where(Note.case_id == case.id).order_by(Note.seq))
    ]
    files = [
        (a.id, a.author.value, a.added_on, a.sealed_file_key, a.sealed_meta, a.stored_bytes)
        for a in session.scalars(
            select(Attachment)
            .where(Attachment.case_id == case.id)
            .order_by(Attachment.added_on, Attachment.id)
        )
    ]
    holders = [
        (g.handler_id, names.get(g.handler_id, ""), "", g.released, g.sealed_notes_key is not None)
        for g in session.scalars(
            select(CaseGrant).where(CaseGrant.case_id == case.id).order_by(CaseGrant.handler_id)
        )
    ]
    if viewed:
        audit.append(session, handler_id, "view", case.id)
        session.commit()
    return CaseBundle(
        **case_fields(case),
        grant=grant,
        notes_grant=released.sealed_notes_key,
        has_notes_key=notes_key.exists(session, case.id),
        next_message_seq=sequence.next_message_seq(session, case.id),
        next_note_seq=sequence.next_note_seq(session, case.id),
        sealed_report=case.sealed_report,
        messages=messages,
        notes=notes,
        attachments=files,
        holders=holders,
        trail=audit.trail(session, case.id),
        names=names,
    )


def open_attachment(
    session: Session, handler_id: int, case_id: str, attachment_id: str
) -> Attachment:
    """One file of a case the handler holds, for its ciphertext download; audited."""
    case = require_grant(session, handler_id, case_id)
    item = session.scalar(
        select(Attachment).where(Attachment.case_id == case.id, Attachment.id == attachment_id)
    )
    if item is None:
        raise NotFound("no such file on this case", field="attachment")
    audit.append(session, handler_id, "file", case.id, item.id)
    session.commit()
    return item


@dataclass(frozen=True)
class Colleague:
    handler_id: int
    display_name: str
    role: str
    desk: str
    x25519_public: bytes
    mlkem_public: bytes


def colleagues(session: Session) -> list[Colleague]:
    """Every active desk handler a case could be shared with (never an administrator)."""
    rows = session.scalars(
        select(Handler)
        .where(
            Handler.active.is_(True),
            Handler.is_admin.is_(False),
            Handler.desk_id.is_not(None),
        )
        .order_by(Handler.display_name, Handler.id)
    )
    return [
        Colleague(
            h.id,
            h.display_name,
            h.role,
            h.desk.slug if h.desk else "",
            h.x25519_public,
            h.mlkem_public,
        )
        for h in rows
    ]


def desk_names(session: Session, japanese: bool) -> dict[str, str]:
    """Each desk's name in the page's language, by slug."""
    return {
        d.slug: d.name_ja if japanese else d.name_en
        for d in session.scalars(select(Desk).order_by(Desk.id))
    }
