"""The one description of a case's metadata, whoever looks at it.

Every view of a case (the operator's list, the console's rows and bundle, the reporter's
follow-up, the offline handler path) extends `CaseView`, so the case's fields are declared
and read from the model in this one place. Metadata only: content is added by each view.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from typing import Any

from crypto import sealing
from crypto.errors import CryptoError
from hotline.models import Author, Case, Message


@dataclass(frozen=True)
class CaseView:
    case_id: str
    category: str
    channel: str
    language: str
    status: str
    outcome: str | None
    external_only: bool
    involves_executive: bool
    received_on: date
    acknowledge_by: date
    acknowledged_on: date | None
    feedback_by: date
    next_deadline: date | None


def case_fields(case: Case) -> dict[str, Any]:
    """The `CaseView` fields of a case row, to build any view that extends it."""
    return {
        "case_id": case.id,
        "category": case.category,
        "channel": case.channel.value,
        "language": case.language,
        "status": case.status.value,
        "outcome": case.outcome,
        "external_only": case.external_only,
        "involves_executive": case.involves_executive,
        "received_on": case.received_on,
        "acknowledge_by": case.acknowledge_by,
        "acknowledged_on": case.acknowledged_on,
        "feedback_by": case.feedback_by,
        "next_deadline": case.next_deadline,
    }


def view_of(case: Case) -> CaseView:
    return CaseView(**case_fields(case))


# What the text outputs (CLI, offline opener) print for a message that does not open.
UNREADABLE = "[This message could not be decrypted.]"


@dataclass(frozen=True)
class MessageView:
    """One message opened with the case key (the server-sealed paths and the offline CLI)."""

    author: str
    body: str
    sent_on: date
    # False when this one message does not open: the views show a placeholder for it (as the
    # console does) instead of failing the whole case.
    readable: bool = True


def message_author(author: Author, handler_id: int | None) -> str:
    """The author a message's sealed body is bound to: `reporter` or `handler:<id>`."""
    if author == Author.REPORTER:
        return sealing.REPORTER
    return sealing.handler_author(handler_id or 0)


def open_message(case_key: bytes, message: Message) -> MessageView:
    """Open one message against the row's case, author and sequence number: a row moved to
    another case, relabelled or renumbered shows as unreadable."""
    try:
        body = sealing.open_message(
            case_key,
            message.sealed_body,
            message.case_id,
            message_author(message.author, message.handler_id),
            message.seq,
        )
    except CryptoError:
        return MessageView(message.author.value, "", message.sent_on, readable=False)
    return MessageView(message.author.value, body, message.sent_on)


def open_messages(case_key: bytes, messages: Iterable[Message]) -> list[MessageView]:
    return [open_message(case_key, m) for m in sorted(messages, key=lambda m: m.seq)]
