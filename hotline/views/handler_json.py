"""The handler console's JSON shapes: what each service result looks like on the wire.

Plain functions from service dataclasses to JSON-ready dicts; no request, no query, no
audit. Bytes go out as base64, dates as ISO days.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from crypto.primitives import Argon2Params
from hotline.services import console, dates, handler_auth, workflow
from hotline.views.json_input import b64


def day(value: date | None) -> str | None:
    return value.isoformat() if value is not None else None


def argon2(params: Argon2Params) -> dict[str, int]:
    """The cost a new password wrapping must use (what the server will store)."""
    return {"ops": params.ops, "mem_bytes": params.mem_bytes}


def key_material(keys: handler_auth.KeyMaterial, params: Argon2Params) -> dict[str, Any]:
    return {
        "handler_id": keys.handler_id,
        "username": keys.username,
        "display_name": keys.display_name,
        "is_admin": keys.is_admin,
        "desk": keys.desk,
        "wrapped_private": b64(keys.wrapped_private),
        "x25519_public": b64(keys.x25519_public),
        "mlkem_public": b64(keys.mlkem_public),
        "argon2": argon2(params),
    }


def case_page(page: console.CasePage) -> dict[str, Any]:
    return {
        "cases": [
            {
                "case_id": row.case_id,
                "category": row.category,
                "channel": row.channel,
                "status": row.status,
                "received_on": row.received_on.isoformat(),
                "next_deadline": day(row.next_deadline),
                "days_open": row.days_open,
                "overdue": row.overdue,
            }
            for row in page.rows
        ],
        "next_cursor": page.next_cursor,
        "total": page.total,
    }


def bundle(data: console.CaseBundle) -> dict[str, Any]:
    return {
        "case_id": data.case_id,
        "category": data.category,
        "channel": data.channel,
        "language": data.language,
        "status": data.status,
        "outcome": data.outcome,
        "external_only": data.external_only,
        "involves_executive": data.involves_executive,
        "received_on": data.received_on.isoformat(),
        "acknowledge_by": data.acknowledge_by.isoformat(),
        "acknowledged_on": day(data.acknowledged_on),
        "feedback_by": data.feedback_by.isoformat(),
        "next_deadline": day(data.next_deadline),
        "overdue": data.next_deadline is not None and data.next_deadline < dates.today(),
        "grant": b64(data.grant),
        "notes_grant": b64(data.notes_grant) if data.notes_grant is not None else None,
        "has_notes_key": data.has_notes_key,
        "next_message_seq": data.next_message_seq,
        "next_note_seq": data.next_note_seq,
        "sealed_report": b64(data.sealed_report),
        "messages": [
            {
                "id": m.item_id,
                "author": m.author,
                "author_id": m.author_id,
                "seq": m.seq,
                "handler_name": m.handler_name,
                "date": m.day.isoformat(),
                "sealed_body": b64(m.sealed),
            }
            for m in data.messages
        ],
        "notes": [
            {
                "id": n.item_id,
                "handler_id": n.handler_id,
                "seq": n.seq,
                "handler_name": n.handler_name,
                "date": n.day.isoformat(),
                "sealed_body": b64(n.sealed),
            }
            for n in data.notes
        ],
        "attachments": [
            {
                "id": attachment_id,
                "author": author,
                "date": added_on.isoformat(),
                "sealed_file_key": b64(sealed_file_key),
                "sealed_meta": b64(sealed_meta),
                "stored_bytes": stored_bytes,
            }
            for attachment_id, author, added_on, sealed_file_key, sealed_meta, stored_bytes in (
                data.attachments
            )
        ],
        "holders": [
            {
                "handler_id": handler_id,
                "display_name": name,
                "released": released,
                "has_notes_key": has_notes_key,
            }
            for handler_id, name, _role, released, has_notes_key in data.holders
        ],
        "trail": [
            {
                "id": e.entry_id,
                "date": e.day.isoformat(),
                "actor": data.names.get(e.actor_id, "") if e.actor_id is not None else "",
                "action": e.action,
                "detail": e.detail,
            }
            for e in data.trail
        ],
    }


def status_change(change: workflow.StatusChange) -> dict[str, Any]:
    return {
        "case_id": change.case_id,
        "status": change.status,
        "outcome": change.outcome,
        "next_deadline": day(change.next_deadline),
    }


def colleagues(rows: list[console.Colleague]) -> dict[str, Any]:
    return {
        "handlers": [
            {
                "id": c.handler_id,
                "display_name": c.display_name,
                "role": c.role,
                "desk": c.desk,
                "x25519": b64(c.x25519_public),
                "mlkem": b64(c.mlkem_public),
            }
            for c in rows
        ]
    }
