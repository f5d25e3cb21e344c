"""A stolen database without the pepper opens nothing, even to someone who knows the secrets."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from crypto import handler_keys, receipts, sealing
from crypto.errors import DecryptionError
from crypto.primitives import Argon2Params
from hotline import db, wiring
from hotline.models import Case, Handler
from tests.support.world import HANDLERS, World

pytestmark = pytest.mark.postgres


def test_stolen_database_without_pepper(world: World) -> None:
    r = world.app.test_client().post(
        "/api/v1/channel/reports",
        headers=world.auth(),
        json={
            "category": "fraud_accounting",
            "body": "stolen-db test",
            "channel": "web",
            "language": "en",
        },
    )
    assert r.status_code == 201
    receipt, case_id = r.json["receipt"], r.json["case_id"]
    keyring = wiring.services(world.app).context.keyring

    with world.app.app_context():
        session = db.session()
        case = session.get(Case, case_id)
        handler = session.scalar(select(Handler).where(Handler.username == "comp.one"))
        assert case is not None and handler is not None

        # The thief knows the right receipt and the public salt, but not the pepper.
        derived = receipts.derive(
            receipts.parse(receipt), keyring.receipt_salt, keyring.receipt_params
        )
        assert derived.lookup_tag != case.lookup_tag  # cannot even confirm the guess
        with pytest.raises(DecryptionError):
            sealing.unwrap_case_key_for_reporter(case.reporter_wrapped_key, derived.wrap_key)

        # The thief knows the handler's password too.
        params = Argon2Params(handler.kdf_ops, handler.kdf_mem)
        pw = handler_keys.password_secrets(HANDLERS["comp.one"][1], handler.kdf_salt, params)
        assert pw.auth != handler.login_verifier
        with pytest.raises(DecryptionError):
            handler_keys.unwrap_private(handler.wrapped_private, pw.unwrap_key)

        # Control: with the pepper the very same steps succeed, so the test can fail.
        pepper = keyring.pepper
        assert pepper.tag("receipt-lookup", derived.lookup_tag) == case.lookup_tag
        case_key = sealing.unwrap_case_key_for_reporter(
            pepper.unwrap("reporter-key", case.reporter_wrapped_key), derived.wrap_key
        )
        report = sealing.open_report(case_key, case.sealed_report, case.id)
        assert report["fields"]["what_happened"] == "stolen-db test"
        assert pepper.tag("login", pw.auth) == handler.login_verifier
        handler_keys.unwrap_private(
            pepper.unwrap("handler-private", handler.wrapped_private), pw.unwrap_key
        )
