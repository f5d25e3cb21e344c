"""Fixed costs are paid once, not per string or per request: a form page's catalogue is
looked up once per request, the browser vocabulary is translated once per locale, the
categories come from the routing snapshot (no query of their own once it is current), and
the limiter's key of the day is read from the shared store once a minute."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import flask_babel
import pytest
from sqlalchemy import event

from hotline import vocabulary, wiring
from tests.support.world import World, build_world


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with build_world("sqlite", tmp_path_factory.mktemp("page-cost")) as w:
        yield w


def test_a_page_looks_its_catalogue_up_a_few_times_not_per_string(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = world.app.test_client()
    assert web.get("/report").status_code == 200
    calls: list[int] = []
    original = flask_babel.Domain.get_translations

    def counted(self: Any) -> Any:
        calls.append(1)
        return original(self)

    monkeypatch.setattr(flask_babel.Domain, "get_translations", counted)
    for path in ("/report", "/report?lang=ja"):
        page = web.get(path)
        assert page.status_code == 200
    # ~80 strings per page in the templates; one catalogue lookup per request, plus the
    # few labels the views translate in Python.
    assert len(calls) < 20, len(calls)


def test_the_browser_vocabulary_is_translated_once_per_locale(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    web = world.app.test_client()
    made: list[int] = []
    original = vocabulary.browser

    def counted(gettext: Any) -> Any:
        made.append(1)
        return original(gettext)

    monkeypatch.setattr(vocabulary, "browser", counted)
    for _ in range(3):
        page = web.get("/report")
        assert page.status_code == 200 and b'id="vocabulary"' in page.data
    assert len(made) <= 1


def test_the_form_reads_no_category_table_once_routing_is_current(world: World) -> None:
    web = world.app.test_client()
    assert web.get("/report").status_code == 200
    seen: list[str] = []
    engine = wiring.services(world.app).database.engine

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        seen.append(statement.lower())

    event.listen(engine, "before_cursor_execute", record)
    try:
        page = web.get("/report")
    finally:
        event.remove(engine, "before_cursor_execute", record)
    assert page.status_code == 200 and b"fraud_accounting" in page.data
    assert not [s for s in seen if "from categories" in s or "from category_desks" in s], seen


def test_japanese_pages_are_still_japanese(world: World, tmp_path: Path) -> None:
    web = world.app.test_client()
    web.get("/lang/ja")
    page = web.get("/report").get_data(as_text=True)
    english = world.app.test_client().get("/report").get_data(as_text=True)
    assert page != english and 'lang="ja"' in page


def test_the_key_of_the_day_is_read_from_the_store_once_a_minute(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    from hotline import limits

    store = wiring.services(world.app).kv
    reads: list[str] = []
    original = store.secret

    def counted(key: str, ttl: int) -> bytes:
        reads.append(key)
        return bytes(original(key, ttl))

    monkeypatch.setattr(store, "secret", counted)
    with world.app.test_request_context("/"):
        first = limits.key_of_the_day()
        assert all(limits.key_of_the_day() == first for _ in range(20))
        assert len(reads) <= 1  # two Redis round trips each, on every hashed request
        before = len(reads)
        monkeypatch.setattr(limits, "DAY_KEY_SECONDS", 0.0)
        assert limits.key_of_the_day() == first  # the store's key, read again: unchanged
        assert len(reads) == before + 1
