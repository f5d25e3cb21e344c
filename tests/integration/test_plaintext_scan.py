"""The plaintext scan itself: a leak planted in the database, the logs, an instance file, or a
client address in a log line is caught, and a scan failing in a fixture's teardown fails the
whole run (checked in a pytest run of its own)."""

from __future__ import annotations

import logging
import os
import secrets
import textwrap
from pathlib import Path

import pytest
from sqlalchemy import create_engine, update

from hotline.models import Handler
from tests.support import PlaintextLeak, phone_forms, receipt_forms
from tests.support.plaintext import Ledger
from tests.support.world import build_world

ROOT = Path(__file__).resolve().parents[2]


def test_ledger_finds_every_form_of_a_secret() -> None:
    ledger = Ledger()
    note = ledger.marker("note")
    receipt = ledger.receipt("1234 5678 9012 3452")
    ledger.phone("+819012345678")
    for found in (
        note.encode("utf-8"),
        note.encode("utf-16-le"),
        note.encode().hex().encode(),
        *(form.encode() for form in receipt_forms(receipt)),
        *(form.encode() for form in phone_forms("+819012345678")),
        b"client 203.0.113.77 said",
        b"from 198.51.100.9",
        b"192.0.2.1",
    ):
        assert ledger.leaks({"where": b"<" + found + b">"}), found
    assert ledger.leaks({"clean": os.urandom(4096) + b"10.0.0.1 127.0.0.1 1203.0.113.7"}) == []
    with pytest.raises(PlaintextLeak, match="in logs"):
        ledger.assert_clean({"logs": note.encode()})


def plant_in_database(url: str, value: str) -> None:
    engine = create_engine(url)
    try:
        with engine.begin() as conn:
            conn.execute(update(Handler.__table__).values(display_name=value))
    finally:
        engine.dispose()


@pytest.mark.postgres
@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
@pytest.mark.parametrize("where", ["database", "logs", "instance file", "address in logs"])
def test_world_scan_catches_a_planted_leak(tmp_path: Path, kind: str, where: str) -> None:
    expected = {"database": "in database", "instance file": "in file stray.txt"}.get(
        where, "in logs"
    )
    with pytest.raises(PlaintextLeak, match=expected), build_world(kind, tmp_path) as world:
        planted = world.ledger.marker("planted")
        if where == "database":
            plant_in_database(world.url, planted)
        elif where == "logs":
            logging.getLogger("hotline.test").warning(planted)
        elif where == "instance file":
            (world.instance / "stray.txt").write_text(planted)
        else:
            logging.getLogger("hotline.test").warning("client 192.0.2.44")


def test_clean_world_passes_the_scan(tmp_path: Path) -> None:
    with build_world("sqlite", tmp_path) as world:
        world.ledger.marker("never sent")
        logging.getLogger("hotline.test").warning("nothing secret")


def test_a_leak_found_at_teardown_fails_the_run(
    pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The module's tests pass; the world's teardown finds what one of them stored; pytest
    reports an error and exits 1."""
    pytester.makeconftest(
        textwrap.dedent(
            """
            import pytest
            from tests.support.world import build_world

            @pytest.fixture(scope="module")
            def world(tmp_path_factory):
                with build_world("sqlite", tmp_path_factory.mktemp("w")) as w:
                    yield w
            """
        )
    )
    secret = f"planted {secrets.token_hex(8)}"
    pytester.makepyfile(
        test_leaky=textwrap.dedent(
            f"""
            from sqlalchemy import create_engine, text

            def test_stores_plaintext(world):
                world.ledger.add({secret!r})
                engine = create_engine(world.url)
                with engine.begin() as conn:
                    conn.execute(text("UPDATE handlers SET display_name = :v"), {{"v": {secret!r}}})
                engine.dispose()

            def test_something_else(world):
                assert world.handler_ids
            """
        )
    )
    monkeypatch.setenv("PYTHONPATH", str(ROOT))
    result = pytester.runpytest_subprocess(
        "-p", "no:randomly", "-p", "no:cacheprovider", "-q", f"--rootdir={pytester.path}"
    )
    result.assert_outcomes(passed=2, errors=1)
    assert result.ret == pytest.ExitCode.TESTS_FAILED
    result.stdout.fnmatch_lines(["*PlaintextLeak*planted*in database*"])
