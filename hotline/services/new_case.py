"""The one way a new case row is made, whichever side encrypted it.

It fixes the day-granular dates and deadlines and adds the pepper layer to the values that
could test a guessed receipt (lookup tag, reporter's wrapped case key).
"""

from __future__ import annotations

from dataclasses import dataclass

from hotline.models import Case, CaseStatus, Channel
from hotline.services import dates
from hotline.services.context import ServiceContext
from hotline.services.ids import new_case_id


@dataclass(frozen=True)
class SealedCaseParts:
    category: str
    channel: Channel
    language: str
    external_only: bool
    involves_executive: bool
    sealed_report: bytes
    lookup_tag: bytes  # straight from Argon2id/BLAKE2b, before the pepper
    reporter_wrapped_key: bytes  # sealed under the receipt's wrap key, before the pepper


def build(ctx: ServiceContext, parts: SealedCaseParts) -> Case:
    received = dates.today()
    acknowledge_by = dates.acknowledge_by(received, ctx.acknowledge_days)
    pepper = ctx.keyring.pepper
    return Case(
        id=new_case_id(),
        category=parts.category,
        channel=parts.channel,
        language=parts.language,
        status=CaseStatus.RECEIVED,
        external_only=parts.external_only,
        involves_executive=parts.involves_executive,
        received_on=received,
        acknowledge_by=acknowledge_by,
        feedback_by=dates.feedback_by(received, None, ctx.acknowledge_days, ctx.feedback_months),
        next_deadline=acknowledge_by,
        sealed_report=parts.sealed_report,
        lookup_tag=pepper.tag("receipt-lookup", parts.lookup_tag),
        reporter_wrapped_key=pepper.wrap("reporter-key", parts.reporter_wrapped_key),
    )
