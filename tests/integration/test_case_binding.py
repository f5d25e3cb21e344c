"""Issue 11 items 7 and 8, on SQLite and PostgreSQL, with the console's crypto done in Python.

Item 7: no reporter path makes a notes key; the first handler who needs notes makes it and
grants it to exactly the case's current holders (the server checks the set: no one missing,
no one extra, never an excluded handler); two handlers making it at once: the first wins.

Item 8, against a database writer: grants, the report, messages and notes are bound to their
case (and grants to their recipient and kind, messages and notes to their author and place in
order). A row moved to another case, relabelled or reordered does not open; the server-side
handler path refuses a case whose granted key does not open its report.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select
from werkzeug.test import TestResponse

from crypto import sealing
from crypto.errors import DecryptionError
from crypto.grants import CASE_KEY, GRANT_BYTES, NOTES_KEY, GrantFor, new_key, open_grant
from hotline import db, wiring
from hotline.models import Author, Case, CaseGrant, Message, Note
from hotline.services import handler_access, key_rotation
from hotline.services.errors import NotGranted
from tests.support import b64, body, unb64
from tests.support.console import Console, new_handler, sign_in, submit
from tests.support.tamper import copy_grant
from tests.support.world import HANDLERS, World

pytestmark = [pytest.mark.postgres, pytest.mark.usefixtures("console_signins")]



def marker(world: World, label: str) -> str:
    return world.ledger.marker(label, "購買部の佐藤さんが")


def grant_rows(world: World, case_id: str) -> dict[int, CaseGrant]:
    with world.app.app_context():
        rows = db.session().scalars(select(CaseGrant).where(CaseGrant.case_id == case_id))
        return {g.handler_id: g for g in rows}


def handler_open(world: World, user: str, case_id: str) -> handler_access.HandlerCase:
    with world.app.app_context():
        session = db.session()
        ctx = wiring.services(world.app).context
        who = handler_access.unlock(session, ctx, user, HANDLERS[user][1])
        return handler_access.open_case(session, who, case_id)


# --- item 7: the notes key -------------------------------------------------------------------


def test_no_reporter_path_makes_a_notes_key(world: World) -> None:
    """Channel (server-sealed) and the reporter's view: one key per grant, no notes key."""
    case = submit(world)
    rows = grant_rows(world, case["case_id"])
    assert rows and all(g.sealed_notes_key is None for g in rows.values())
    assert all(len(g.sealed_keys) == GRANT_BYTES for g in rows.values())
    console = sign_in(world, "comp.one")
    data, keys = console.keys(case["case_id"])
    assert (data["notes_grant"], data["has_notes_key"], keys.notes_key) == (None, False, None)


def test_first_handler_makes_the_notes_key_for_every_current_holder(world: World) -> None:
    excluded = world.handler_ids["comp.two"]
    case = submit(world, excluded_handlers=[excluded])
    case_id = case["case_id"]
    first = sign_in(world, "comp.one")
    note = marker(world, "first note")
    # A note before the case has a notes key is refused: there is nothing to seal it under.
    r = first.post(f"cases/{case_id}/notes", {"sealed_body": b64(bytes(1100)), "seq": 0})
    assert r.status_code == 409
    assert first.note(case_id, note).status_code == 201
    rows = grant_rows(world, case_id)
    assert excluded not in rows  # excluded at intake: no grant, so no notes key either
    assert len(rows) >= 2 and all(g.sealed_notes_key is not None for g in rows.values())
    _, mine = first.keys(case_id)
    colleague = sign_in(world, "audit.one")
    data, theirs = colleague.keys(case_id)
    assert theirs.notes_key == mine.notes_key is not None
    [n] = data["notes"]
    assert sealing.open_note(
        theirs.notes_key, unb64(n["sealed_body"]), case_id, first.handler_id, 0
    )
    # The notes key is no key the reporter holds.
    assert mine.notes_key != mine.case_key
    # The second note reuses the key (no second notes key is made).
    assert colleague.note(case_id, marker(world, "second note")).status_code == 201
    assert grant_rows(world, case_id)[first.handler_id].sealed_notes_key == (
        rows[first.handler_id].sealed_notes_key
    )


def _refused_notes_key(
    console: Console, case_id: str, holders: set[int], expected: tuple[int, str]
) -> None:
    grants = console.notes_key_grants(case_id, new_key(), holders)
    r = console.post(f"cases/{case_id}/notes-key", {"grants": grants})
    assert (r.status_code, body(r)["error"]) == expected, r.data


def test_notes_key_goes_to_exactly_the_current_holders(world: World) -> None:
    excluded = world.handler_ids["privacy.one"]
    case = submit(world, excluded_handlers=[excluded])
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    holders = set(grant_rows(world, case_id))
    some = holders - {world.handler_ids["audit.one"]}
    _refused_notes_key(console, case_id, some, (409, "holders_changed"))
    _refused_notes_key(
        console, case_id, holders | {world.handler_ids["harass.one"]}, (409, "holders_changed")
    )
    _refused_notes_key(console, case_id, holders | {excluded}, (403, "not_granted"))
    outsider = sign_in(world, "harass.one")
    _refused_notes_key(outsider, case_id, holders, (404, "not_found"))  # as if no such case
    bad = console.notes_key_grants(case_id, new_key(), holders)
    bad[0]["sealed_key"] = b64(unb64(bad[0]["sealed_key"])[:-1])
    r = console.post(f"cases/{case_id}/notes-key", {"grants": bad})
    assert r.status_code == 400
    assert all(g.sealed_notes_key is None for g in grant_rows(world, case_id).values())
    assert console.make_notes_key(case_id).status_code == 201


def test_two_handlers_making_the_notes_key_at_once_first_wins(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    one, other = sign_in(world, "comp.one"), sign_in(world, "audit.one")
    key_one, key_other = new_key(), new_key()
    # Both consoles loaded the case without a notes key and made their grants...
    grants_one = one.notes_key_grants(case_id, key_one)
    grants_other = other.notes_key_grants(case_id, key_other)
    # ...the first to arrive wins, the second is told to reload and use it.
    assert one.post(f"cases/{case_id}/notes-key", {"grants": grants_one}).status_code == 201
    r = other.post(f"cases/{case_id}/notes-key", {"grants": grants_other})
    assert r.status_code == 409 and body(r)["error"] == "notes_key_exists"
    _, theirs = other.keys(case_id)
    assert theirs.notes_key == key_one


def test_a_colleague_gets_the_notes_key_with_the_case(world: World) -> None:
    """A case that has a notes key keeps working: sharing it carries the notes key along."""
    case = submit(world)
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    privacy = console.directory()[world.handler_ids["privacy.one"]]
    note = marker(world, "shared note")
    assert console.note(case_id, note).status_code == 201
    # Sharing without the notes key when the case has one: refused, nothing stored.
    payload = {k: v for k, v in _share_payload(console, case_id, privacy).items()}
    payload.pop("sealed_notes_key")
    r = console.post(f"cases/{case_id}/grants", payload)
    assert r.status_code == 409 and body(r)["error"] == "holders_changed"
    assert privacy["id"] not in grant_rows(world, case_id)
    assert console.share(case_id, privacy).status_code == 201
    colleague = sign_in(world, "privacy.one")
    data, keys = colleague.keys(case_id)
    assert keys.notes_key is not None
    [n] = data["notes"]
    opened = sealing.open_note(
        keys.notes_key, unb64(n["sealed_body"]), case_id, console.handler_id, 0
    )
    assert opened == note
    assert colleague.note(case_id, marker(world, "colleague note")).status_code == 201


def test_sharing_a_notes_key_the_case_does_not_have_is_refused(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    privacy = console.directory()[world.handler_ids["privacy.one"]]
    payload = _share_payload(console, case_id, privacy)
    r = console.post(f"cases/{case_id}/grants", payload)
    assert r.status_code == 409 and body(r)["error"] == "holders_changed"


def _share_payload(console: Console, case_id: str, target: dict[str, Any]) -> dict[str, Any]:
    """A colleague grant carrying a notes key (the case's, or a made-up one if it has none)."""
    from crypto.grants import make_grant
    from tests.support.console import public_of

    _, keys = console.keys(case_id)
    public = public_of(target)
    notes = keys.notes_key or new_key()
    return {
        "handler_id": target["id"],
        "sealed_keys": b64(
            make_grant(keys.case_key, public, GrantFor(CASE_KEY, case_id, target["id"]))
        ),
        "sealed_notes_key": b64(
            make_grant(notes, public, GrantFor(NOTES_KEY, case_id, target["id"]))
        ),
    }


# --- item 8: sequence numbers ----------------------------------------------------------------


def test_replies_and_notes_take_the_next_number_or_are_refused(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    assert console.reply(case_id, marker(world, "reply one")).status_code == 201
    data, keys = console.keys(case_id)
    assert data["next_message_seq"] == 1
    author = sealing.handler_author(console.handler_id)
    stale = sealing.seal_message(keys.case_key, "stale", case_id, author, 0)
    r = console.post(f"cases/{case_id}/replies", {"sealed_body": b64(stale), "seq": 0})
    assert r.status_code == 409 and body(r)["error"] == "stale_sequence"
    ahead = sealing.seal_message(keys.case_key, "ahead", case_id, author, 5)
    r = console.post(f"cases/{case_id}/replies", {"sealed_body": b64(ahead), "seq": 5})
    assert r.status_code == 409 and body(r)["error"] == "stale_sequence"
    r = console.post(f"cases/{case_id}/replies", {"sealed_body": b64(stale), "seq": "0"})
    assert r.status_code == 400
    assert len(console.bundle(case_id)["messages"]) == 1


# --- item 8: a database writer moves, relabels or reorders rows ------------------------------


def _case_with_messages(world: World) -> tuple[dict[str, Any], Console, list[str]]:
    """A case with a reporter message, then a handler reply, then another reporter message."""
    case = submit(world)
    client = world.app.test_client()
    texts = [marker(world, "reporter one"), marker(world, "handler"), marker(world, "reporter two")]
    console = sign_in(world, "comp.one")
    for index, text in enumerate(texts):
        if index == 1:
            assert console.reply(case["case_id"], text).status_code == 201
            continue
        r = client.post(
            "/api/v1/channel/followup/messages",
            json={"receipt": case["receipt"], "body": text},
            headers=world.auth(),
        )
        assert r.status_code == 201, r.data
    return case, console, texts


def test_relabelled_or_reordered_messages_do_not_open(world: World) -> None:
    case, console, texts = _case_with_messages(world)
    case_id = case["case_id"]
    opened = handler_open(world, "comp.one", case_id)
    assert [m.body for m in opened.messages] == texts
    with world.app.app_context():
        session = db.session()
        rows = list(
            session.scalars(select(Message).where(Message.case_id == case_id).order_by(Message.seq))
        )
        # Relabel the reporter's first message as the handler's; swap the other two bodies.
        rows[0].author, rows[0].handler_id = Author.HANDLER, console.handler_id
        rows[1].sealed_body, rows[2].sealed_body = rows[2].sealed_body, rows[1].sealed_body
        session.commit()
    opened = handler_open(world, "comp.one", case_id)
    assert [m.readable for m in opened.messages] == [False, False, False]
    assert not any(t in m.body for m in opened.messages for t in texts)
    # The console's bundle: each message opens only where it was sealed.
    data, keys = console.keys(case_id)
    for m in data["messages"]:
        with pytest.raises(DecryptionError):
            sealing.open_message(
                keys.case_key, unb64(m["sealed_body"]), case_id, m["author_id"], m["seq"]
            )
    # The reporter's side shows a placeholder too.
    r = world.app.test_client().post(
        "/api/v1/channel/followup", json={"receipt": case["receipt"]}, headers=world.auth()
    )
    assert r.status_code == 200
    assert not any(t in r.get_data(as_text=True) for t in texts)


def test_reordered_notes_do_not_open(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    notes = [marker(world, "note a"), marker(world, "note b")]
    for note in notes:
        assert console.note(case_id, note).status_code == 201
    with world.app.app_context():
        session = db.session()
        a, b = session.scalars(select(Note).where(Note.case_id == case_id).order_by(Note.seq))
        a.seq, b.seq = -1, 0
        session.flush()
        a.seq = 1
        session.commit()
    data, keys = console.keys(case_id)
    assert keys.notes_key is not None
    for n in data["notes"]:
        with pytest.raises(DecryptionError):
            sealing.open_note(
                keys.notes_key, unb64(n["sealed_body"]), case_id, n["handler_id"], n["seq"]
            )


def test_a_case_copied_under_another_id_does_not_open(world: World) -> None:
    """The writer copies a case (report, grants, messages) under a new id: nothing opens."""
    case, console, _ = _case_with_messages(world)
    source = case["case_id"]
    clone = sealing.new_case_id()
    with world.app.app_context():
        session = db.session()
        original = session.get(Case, source)
        assert original is not None
        columns = {c.key: getattr(original, c.key) for c in Case.__table__.columns}
        columns.update(id=clone, lookup_tag=bytes(32), idempotency_tag=None)
        session.add(Case(**columns))
        session.flush()
        for g in session.scalars(select(CaseGrant).where(CaseGrant.case_id == source)):
            session.add(
                CaseGrant(
                    case_id=clone,
                    handler_id=g.handler_id,
                    sealed_keys=g.sealed_keys,
                    sealed_notes_key=g.sealed_notes_key,
                    released=g.released,
                    granted_on=g.granted_on,
                )
            )
        for m in session.scalars(select(Message).where(Message.case_id == source)):
            session.add(
                Message(
                    case_id=clone,
                    author=m.author,
                    handler_id=m.handler_id,
                    seq=m.seq,
                    sealed_body=m.sealed_body,
                    sent_on=m.sent_on,
                )
            )
        session.commit()
    # The console's grant for the copy does not open (bound to the source case)...
    data = console.bundle(clone)
    with pytest.raises(DecryptionError):
        open_grant(unb64(data["grant"]), console.private, console.about(CASE_KEY, clone))
    # ...nor does the report or any message, even with the source's key in hand.
    _, keys = console.keys(source)
    with pytest.raises(DecryptionError):
        sealing.open_report(keys.case_key, unb64(data["sealed_report"]), clone)
    for m in data["messages"]:
        with pytest.raises(DecryptionError):
            sealing.open_message(
                keys.case_key, unb64(m["sealed_body"]), clone, m["author_id"], m["seq"]
            )
    # The server-side handler path refuses the case outright.
    with pytest.raises(NotGranted):
        handler_open(world, "comp.one", clone)


def test_a_grant_moved_to_another_case_or_handler_does_not_open(world: World) -> None:
    first, second = submit(world), submit(world)
    console = sign_in(world, "comp.one")
    me, colleague = console.handler_id, world.handler_ids["comp.two"]
    mine = copy_grant(world.app, me, first["case_id"], second["case_id"])
    data = console.bundle(second["case_id"])
    with pytest.raises(DecryptionError):
        open_grant(
            unb64(data["grant"]), console.private, console.about(CASE_KEY, second["case_id"])
        )
    with pytest.raises(NotGranted):
        handler_open(world, "comp.one", second["case_id"])
    # A grant is also bound to its recipient: the same bytes named for a colleague do not open.
    with pytest.raises(DecryptionError):
        open_grant(mine, console.private, GrantFor(CASE_KEY, first["case_id"], colleague))
    assert handler_open(world, "comp.one", first["case_id"]).report


def test_key_rotation_regrants_the_notes_key_too(world: World) -> None:
    """A handler who rotates their keys keeps the case key and the notes key of each case."""
    username = new_handler(world, "compliance", "rotating")
    case = submit(world)
    case_id = case["case_id"]
    console = sign_in(world, "comp.one")
    assert console.note(case_id, marker(world, "before rotation")).status_code == 201
    _, before = console.keys(case_id)
    with world.app.app_context():
        ctx = wiring.services(world.app).context
        key_rotation.rotate(db.session(), ctx, username, world.passwords[username])
    rotated = sign_in(world, username)
    _, after = rotated.keys(case_id)
    assert after == before


def _at_once(*calls: Callable[[], TestResponse]) -> list[int]:
    """Run the requests in threads released together; their status codes, in call order."""
    barrier = threading.Barrier(len(calls))
    codes: list[int] = [0] * len(calls)

    def run(index: int) -> None:
        barrier.wait()
        codes[index] = calls[index]().status_code

    threads = [threading.Thread(target=run, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    return codes


def test_notes_keys_made_concurrently_only_one_wins(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    one, other = sign_in(world, "comp.one"), sign_in(world, "audit.one")
    grants = [c.notes_key_grants(case_id, new_key()) for c in (one, other)]
    codes = _at_once(
        lambda: one.post(f"cases/{case_id}/notes-key", {"grants": grants[0]}),
        lambda: other.post(f"cases/{case_id}/notes-key", {"grants": grants[1]}),
    )
    assert sorted(codes) == [201, 409], codes
    rows = grant_rows(world, case_id)
    winner = grants[codes.index(201)]
    assert {g["handler_id"]: unb64(g["sealed_key"]) for g in winner} == {
        h: r.sealed_notes_key for h, r in rows.items()
    }


def test_replies_sealed_for_the_same_number_at_once_only_one_is_kept(world: World) -> None:
    case = submit(world)
    case_id = case["case_id"]
    one, other = sign_in(world, "comp.one"), sign_in(world, "audit.one")

    def sealed(console: Console) -> dict[str, Any]:
        _, keys = console.keys(case_id)
        author = sealing.handler_author(console.handler_id)
        text = marker(world, "racing reply")
        return {
            "sealed_body": b64(sealing.seal_message(keys.case_key, text, case_id, author, 0)),
            "seq": 0,
        }

    bodies = [sealed(one), sealed(other)]
    codes = _at_once(
        lambda: one.post(f"cases/{case_id}/replies", bodies[0]),
        lambda: other.post(f"cases/{case_id}/replies", bodies[1]),
    )
    assert sorted(codes) == [201, 409], codes
    assert [m["seq"] for m in one.bundle(case_id)["messages"]] == [0]
