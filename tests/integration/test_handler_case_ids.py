"""Case and file ids on the handler API: an id longer than any id can be is refused with a
clear 400, never cut short to whatever it starts with."""

from __future__ import annotations

from collections.abc import Callable

import pytest
from werkzeug.test import TestResponse

from crypto.grants import GRANT_BYTES
from tests.support import b64, body
from tests.support.console import Console, sign_in, submit
from tests.support.world import World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]



def _endpoints(console: Console) -> dict[str, Callable[[str], TestResponse]]:
    """Every handler endpoint that takes a case id, each with a well-formed request."""
    sealed = b64(bytes(100))  # well-formed: the id is what each request gets wrong
    grant = b64(bytes(GRANT_BYTES))
    return {
        "bundle": lambda case_id: console.get(f"cases/{case_id}"),
        "status": lambda case_id: console.post(
            f"cases/{case_id}/status", {"status": "acknowledged"}
        ),
        "reply": lambda case_id: console.post(
            f"cases/{case_id}/replies", {"sealed_body": sealed, "seq": 0}
        ),
        "note": lambda case_id: console.post(
            f"cases/{case_id}/notes", {"sealed_body": sealed, "seq": 0}
        ),
        "notes key": lambda case_id: console.post(
            f"cases/{case_id}/notes-key",
            {"grants": [{"handler_id": console.handler_id, "sealed_key": grant}]},
        ),
        "attachment": lambda case_id: console.get(f"cases/{case_id}/attachments/{'0' * 32}"),
        "grant": lambda case_id: console.post(
            f"cases/{case_id}/grants",
            {"handler_id": console.handler_id, "sealed_keys": grant},
        ),
    }


def test_an_overlong_case_id_is_refused_never_cut(world: World) -> None:
    case = submit(world)
    console = sign_in(world, "comp.one")
    # The case's own id with anything after it names no case: the old views cut ids to 32
    # characters, so a long id that started with a real one was served as that one.
    overlong = case["case_id"] + "X" * 40
    for name, call in _endpoints(console).items():
        r = call(overlong)
        assert r.status_code == 400, (name, r.status_code, r.data)
        assert body(r)["error"] == "invalid_input" and body(r)["field"] == "case_id", name
        assert "at most 16 characters" in body(r)["message"], name
    r = console.get(f"cases/{case['case_id']}/attachments/{'0' * 33}")
    assert r.status_code == 400 and body(r)["field"] == "attachment"
    # Nothing was done to the real case.
    data = console.bundle(case["case_id"])
    assert data["status"] == "received" and data["messages"] == [] and data["notes"] == []


def test_unknown_and_forbidden_cases_get_the_same_answer(world: World) -> None:
    """Issue 11 item 24: an id that names no case and one that names another desk's case,
    a case held back from this handler until escalation, or one the reporter excluded them
    from, answer alike on every endpoint: a probe learns nothing about which ids exist."""
    console = sign_in(world, "comp.two")
    other_desk = submit(world, "harassment")["case_id"]  # harassment desk; held for compliance
    excluded = submit(world, excluded_handlers=[console.handler_id])["case_id"]
    own = submit(world)["case_id"]
    unknown = "HL-0000000000" if own != "HL-0000000000" else "HL-0000000001"
    for name, call in _endpoints(console).items():
        answers = {case_id: call(case_id) for case_id in (unknown, other_desk, excluded)}
        shapes = {(r.status_code, r.get_data(as_text=True)) for r in answers.values()}
        assert len(shapes) == 1, (name, shapes)
        [(status, _text)] = shapes
        assert status == 404 and body(answers[unknown]) == {
            "error": "not_found",
            "message": "no such case",
            "field": "case_id",
        }, name
    # None of those requests did anything, and the handler's own case still answers.
    assert console.get(f"cases/{own}").status_code == 200
    holder = sign_in(world, "harass.one")
    data = holder.bundle(other_desk)
    assert data["status"] == "received" and data["messages"] == [] and data["notes"] == []
