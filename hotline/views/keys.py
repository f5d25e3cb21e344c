"""`GET /.well-known/hotline-keys`: the signed key directory, for browsers and monitors.

Served as stored: every reader verifies the entries against the root public key it trusts
(the reporter page's is in its configuration; an outside monitor's is the one printed on
the organisation's poster), and a monitor compares the head with the one it saw before.
"""

from __future__ import annotations

import base64
import hashlib

from flask import Blueprint, Response, jsonify, request
from flask_limiter import Limiter

from crypto.key_directory import GENESIS
from hotline import db, wiring
from hotline.services import dates, key_alerts, routing
from hotline.services.context import ServiceContext
from hotline.views import handler_session


def make_keys_blueprint(limiter: Limiter) -> Blueprint:
    bp = Blueprint("keys", __name__)
    page_limit = limiter.limit(lambda: wiring.settings().page_rate_limit)

    @bp.get("/.well-known/hotline-keys")
    @page_limit
    def directory() -> Response:
        ctx: ServiceContext = wiring.services().context
        entries = routing.snapshot(db.session()).entries
        head = entries[-1].head() if entries else GENESIS
        root = ctx.keys.root
        # The head hash commits to every entry and signature: with the root, it names the
        # whole answer. The browser revalidates on every report (no-cache), and an unchanged
        # directory costs a 304 instead of the entries again.
        etag = hashlib.blake2b(
            head.hash + (root.to_bytes() if root else b""), digest_size=16
        ).hexdigest()
        if request.if_none_match.contains(etag):
            response = Response(status=304)
        else:
            response = jsonify(
                root={
                    "public": base64.b64encode(root.to_bytes()).decode("ascii") if root else None,
                    "fingerprint": ctx.keys.fingerprint or None,
                },
                head={"sequence": head.sequence, "hash": head.hash.hex()},
                entries=[e.to_json() for e in entries],
            )
        response.set_etag(etag)
        # Revalidate every time: a new entry (a key change) must be seen at once.
        response.headers["Cache-Control"] = "no-cache"
        return response

    @bp.get("/handler/api/keys/changes")
    @handler_session.login_required
    def desk_key_changes() -> Response:
        """Recent key entries of the signed-in handler's desk colleagues (no case, no content)."""
        changes = key_alerts.desk_changes_for(
            db.session(), handler_session.signed_in_id(), dates.today()
        )
        return jsonify(
            changes=[
                {
                    "sequence": c.sequence,
                    "handler_id": c.handler_id,
                    "display_name": c.display_name,
                    "status": c.status,
                    "valid_from": c.valid_from.isoformat(),
                    "fingerprint": c.fingerprint,
                }
                for c in changes
            ]
        )

    return bp
