"""Parsing the console's notes-key request: one grant per current holder of the case."""

from __future__ import annotations

from crypto.grants import GRANT_BYTES
from hotline.services.errors import InvalidInput
from hotline.views.json_input import b64_field, check_object, id_field

MAX_HOLDERS = 100


def notes_key_grants(value: object) -> dict[int, bytes]:
    """`[{"handler_id": n, "sealed_key": base64}, ...]` as {handler id: grant}."""
    if not isinstance(value, list) or not 0 < len(value) <= MAX_HOLDERS:
        raise InvalidInput("grants must be a list of one grant per holder", field="grants")
    grants: dict[int, bytes] = {}
    for item in value:
        entry = check_object(item, ("handler_id", "sealed_key"))
        handler_id = id_field(entry, "handler_id")
        if handler_id in grants:
            raise InvalidInput("two grants for one handler", field="grants")
        grants[handler_id] = b64_field(entry, "sealed_key", exact=GRANT_BYTES)
    return grants
