"""The signed key directory in the database: signing requests, import, verification, status.

Creating a handler, rotating their keys or deactivating them files a signing request. The
root signs requests offline (`flask keys requests` exports them with the current head,
`flask keys sign` on the offline machine turns them into chained entries, `flask keys
import` loads those), or at once when the installation keeps its root online. Nothing read
from the database is trusted: `trusted_entries` re-verifies the whole chain against the
root public key from configuration before anyone encrypts to a handler.
"""

from __future__ import annotations

import base64
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from crypto import key_directory, signing
from crypto.errors import CryptoError
from crypto.handler_keys import HandlerPublicKeys
from crypto.key_directory import ACTIVE, REVOKED, DirectoryError, Entry, EntryBody, Head
from hotline.key_trust import KeyTrust
from hotline.models import Handler, KeyEntry, KeySigningRequest
from hotline.services.errors import Conflict, InvalidInput, KeysNotVerified

log = logging.getLogger("hotline.keys")

NEW, ROTATE, DEACTIVATE = "new", "rotate", "deactivate"
REQUESTS_FORMAT = "hotline-key-requests-v1"
ENTRIES_FORMAT = "hotline-key-entries-v1"


KEYS_REFUSED_MESSAGE = (
    "the handlers' keys could not be verified against the organisation's signing key, so "
    "nothing was sent; please try again later or use another channel"
)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    if not isinstance(text, str):
        raise TypeError("expected base64 text")
    return base64.b64decode(text, validate=True)


# --- reading ---------------------------------------------------------------------------


def _entry(row: KeyEntry) -> Entry:
    body = EntryBody(
        sequence=row.sequence,
        handler_id=row.handler_id,
        desk=row.desk,
        status=row.status,
        x25519=row.x25519_public,
        mlkem=row.mlkem_public,
        valid_from=row.valid_from,
        previous_hash=row.previous_hash,
    )
    return Entry(body, row.signature)


def load_entries(session: Session) -> list[Entry]:
    """Every stored entry in sequence order (unverified: see trusted_entries)."""
    try:
        return [_entry(r) for r in session.scalars(select(KeyEntry).order_by(KeyEntry.sequence))]
    except CryptoError as exc:  # a row that cannot even be an entry
        raise DirectoryError(f"a stored entry is malformed: {exc}") from exc


def stored_head(session: Session) -> Head:
    last = session.scalar(select(KeyEntry).order_by(KeyEntry.sequence.desc()).limit(1))
    return Head(last.sequence, last.entry_hash) if last else key_directory.GENESIS


def signed_now(session: Session, today: date) -> dict[int, Entry]:
    """Each handler's current entry, from the rows as stored (for routing's quick filter)."""
    return key_directory.current_entries(load_entries(session), today)


def trusted_entries(session: Session, trust: KeyTrust, today: date) -> dict[int, Entry]:
    """Verify the whole chain against the configured root; each handler's current entry."""
    return verify_entries(load_entries(session), trust, today)


def verify_entries(entries: list[Entry], trust: KeyTrust, today: date) -> dict[int, Entry]:
    """`trusted_entries` over entries already read."""
    if trust.root is None:
        raise KeysNotVerified("no root public key is configured: " + KEYS_REFUSED_MESSAGE)
    try:
        key_directory.verify_chain(entries, trust.root, known_good=trust.verified)
    except DirectoryError as exc:
        log.error("keys.directory_broken", extra={"reason": str(exc)})
        raise KeysNotVerified(KEYS_REFUSED_MESSAGE) from exc
    return key_directory.current_entries(entries, today)


def require_signed(
    current: dict[int, Entry], handler_id: int, desk: str, public: HandlerPublicKeys
) -> Entry:
    try:
        return key_directory.check_keys(current, handler_id, desk, public)
    except key_directory.KeyNotSigned as exc:
        log.error("keys.not_signed", extra={"handler_id": handler_id, "reason": str(exc)})
        raise KeysNotVerified(KEYS_REFUSED_MESSAGE) from exc


# --- requests --------------------------------------------------------------------------


def request_signature(
    session: Session, trust: KeyTrust, handler: Handler, kind: str, today: date
) -> KeySigningRequest:
    """File a request for the handler's current keys (or their revocation); flushes only.

    With an online root the request is signed and appended at once.
    """
    if handler.desk is None:
        raise InvalidInput("administrators hold no desk keys to sign", field="handler")
    request = KeySigningRequest(
        handler_id=handler.id,
        kind=kind,
        desk=handler.desk.slug,
        status=REVOKED if kind == DEACTIVATE else ACTIVE,
        x25519_public=handler.x25519_public,
        mlkem_public=handler.mlkem_public,
        requested_on=today,
    )
    session.add(request)
    session.flush()
    log.info("keys.requested", extra={"handler_id": handler.id, "kind": kind})
    if trust.online_root is not None:
        signed = sign_requests(export_requests(session), trust.online_root, today)
        import_entries(session, trust, signed)
    return request


def pending_requests(session: Session) -> list[KeySigningRequest]:
    return list(
        session.scalars(
            select(KeySigningRequest)
            .where(KeySigningRequest.signed_sequence.is_(None))
            .order_by(KeySigningRequest.id)
        )
    )


def export_requests(session: Session) -> dict[str, Any]:
    """What the offline signer needs: the head to chain onto and the pending requests."""
    head = stored_head(session)
    return {
        "format": REQUESTS_FORMAT,
        "head": {"sequence": head.sequence, "hash": head.hash.hex()},
        # The whole directory: the signer verifies it before chaining onto its head.
        "entries": [e.to_json() for e in load_entries(session)],
        "requests": [
            {
                "request_id": r.id,
                "kind": r.kind,
                "handler_id": r.handler_id,
                "desk": r.desk,
                "status": r.status,
                "x25519": _b64(r.x25519_public),
                "mlkem": _b64(r.mlkem_public),
                "requested_on": r.requested_on.isoformat(),
            }
            for r in pending_requests(session)
        ],
    }


def sign_requests(
    document: dict[str, Any], root: signing.SigningPrivateKey, today: date
) -> dict[str, Any]:
    """On the offline machine: chain one signed entry per request onto the stated head.

    The directory in the file is verified in full first (every signature and link), so the
    root never signs onto a chain it did not make: that is what lets a browser check only
    the newest signature and the links.
    """
    if not isinstance(document, dict) or document.get("format") != REQUESTS_FORMAT:
        raise InvalidInput(f"not a {REQUESTS_FORMAT} file")
    try:
        head = Head(int(document["head"]["sequence"]), bytes.fromhex(document["head"]["hash"]))
        existing = [Entry.from_json(item) for item in document["entries"]]
        if key_directory.verify_chain(existing, root.public()) != head:
            raise InvalidInput("the requests file's head is not the end of its directory")
        out: list[dict[str, Any]] = []
        previous = head
        for item in document["requests"]:
            body = EntryBody(
                sequence=previous.sequence + 1,
                handler_id=int(item["handler_id"]),
                desk=str(item["desk"]),
                status=str(item["status"]),
                x25519=_unb64(item["x25519"]),
                mlkem=_unb64(item["mlkem"]),
                valid_from=today,
                previous_hash=previous.hash,
            )
            entry = key_directory.sign_entry(root, body)
            out.append({**entry.to_json(), "request_id": int(item["request_id"])})
            previous = entry.head()
    except DirectoryError as exc:
        raise InvalidInput(f"the directory in the requests file does not verify: {exc}") from exc
    except (KeyError, TypeError, ValueError, CryptoError) as exc:
        raise InvalidInput(f"the requests file is malformed: {exc}") from exc
    return {"format": ENTRIES_FORMAT, "entries": out}


def import_entries(session: Session, trust: KeyTrust, document: dict[str, Any]) -> list[Entry]:
    """Append signed entries after verifying the whole chain with them; flushes only."""
    if trust.root is None:
        raise KeysNotVerified("no root public key is configured; nothing can be imported")
    if not isinstance(document, dict) or document.get("format") != ENTRIES_FORMAT:
        raise InvalidInput(f"not a {ENTRIES_FORMAT} file")
    try:
        items: list[dict[str, Any]] = list(document["entries"])
        new = [Entry.from_json(item) for item in items]
    except (KeyError, TypeError, CryptoError) as exc:
        raise InvalidInput(f"the entries file is malformed: {exc}") from exc
    existing = load_entries(session)
    try:
        key_directory.verify_chain([*existing, *new], trust.root, known_good=trust.verified)
    except DirectoryError as exc:
        raise Conflict(f"the entries do not extend this directory: {exc}") from exc
    pending = {r.id: r for r in pending_requests(session)}
    for item, entry in zip(items, new, strict=True):
        request = pending.get(int(item.get("request_id", 0)))
        if request is None or not _matches(request, entry):
            raise Conflict(f"entry {entry.body.sequence} answers no pending signing request")
        request.signed_sequence = entry.body.sequence
        session.add(_row(entry))
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict("another import appended entries first; export again") from exc
    for entry in new:
        log.info(
            "keys.entry_added",
            extra={
                "handler_id": entry.body.handler_id,
                "desk": entry.body.desk,
                "status": entry.body.status,
                "count": entry.body.sequence,
            },
        )
    return new


def _matches(request: KeySigningRequest, entry: Entry) -> bool:
    b = entry.body
    return (
        request.handler_id == b.handler_id
        and request.desk == b.desk
        and request.status == b.status
        and request.x25519_public == b.x25519
        and request.mlkem_public == b.mlkem
    )


def _row(entry: Entry) -> KeyEntry:
    b = entry.body
    return KeyEntry(
        sequence=b.sequence,
        handler_id=b.handler_id,
        desk=b.desk,
        status=b.status,
        x25519_public=b.x25519,
        mlkem_public=b.mlkem,
        valid_from=b.valid_from,
        previous_hash=b.previous_hash,
        signature=entry.signature,
        entry_hash=entry.hash(),
        notified=False,
    )


# --- status and verification -----------------------------------------------------------


@dataclass(frozen=True)
class HandlerKeyStatus:
    handler_id: int
    username: str
    desk: str
    state: str  # "signed", "pending", "unsigned", "revoked", "mismatch"
    fingerprint: str
    entry_sequence: int | None


def handler_status(
    handler: Handler, current: dict[int, Entry], pending: Sequence[KeySigningRequest]
) -> HandlerKeyStatus:
    public = HandlerPublicKeys(handler.x25519_public, handler.mlkem_public)
    desk = handler.desk.slug if handler.desk else ""
    entry = current.get(handler.id)
    asked = any(
        r.handler_id == handler.id
        and r.x25519_public == public.x25519
        and r.mlkem_public == public.mlkem
        for r in pending
    )
    if entry is None:
        state = "pending" if asked else "unsigned"
    elif entry.body.status == REVOKED:
        state = "revoked"
    elif entry.body.desk == desk and entry.body.public == public:
        state = "signed"
    else:
        state = "pending" if asked else "mismatch"
    return HandlerKeyStatus(
        handler.id,
        handler.username,
        desk,
        state,
        key_directory.key_fingerprint(public),
        entry.body.sequence if entry else None,
    )


def statuses(session: Session, current: dict[int, Entry]) -> list[HandlerKeyStatus]:
    pending = pending_requests(session)
    handlers = session.scalars(
        select(Handler).where(Handler.is_admin.is_(False)).order_by(Handler.id)
    )
    return [handler_status(h, current, pending) for h in handlers]


@dataclass(frozen=True)
class Verification:
    head: Head
    entries: int
    problems: list[str]


def verify(
    session: Session, trust: KeyTrust, today: date, expect_head: Head | None = None
) -> Verification:
    """The whole chain against the root and a saved head, and every active handler's keys."""
    if trust.root is None:
        raise KeysNotVerified("no root public key is configured (HOTLINE_KEYS_ROOT_PUBLIC_FILE)")
    entries = load_entries(session)
    head = key_directory.verify_chain(entries, trust.root, expect_head=expect_head)
    stored = stored_head(session)
    problems: list[str] = []
    if stored != head:
        problems.append(f"stored head {stored.text()} differs from the recomputed {head.text()}")
    current = key_directory.current_entries(entries, today)
    for status in statuses(session, current):
        handler = session.get(Handler, status.handler_id)
        if handler is None or not handler.active:
            continue
        if status.state == "mismatch":
            problems.append(
                f"handler {status.handler_id} ({status.username}): keys differ from signed "
                f"entry {status.entry_sequence} and no signing request asks for them"
            )
    return Verification(head, len(entries), problems)
