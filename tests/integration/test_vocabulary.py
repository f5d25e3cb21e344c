"""One vocabulary (issue 10 §4) as the pages show it: the JSON every page carries for the
scripts, the Japanese message contexts, the error wording by reason, the exclusion list."""

from __future__ import annotations

import html
import json
import re

from flask_babel import pgettext

from hotline import vocabulary, wiring
from hotline.services.errors import InvalidInput, ReceiptNotFound
from hotline.views import words
from tests.support.world import ADMIN, World


def page_vocabulary(text: str) -> dict[str, object]:
    found = re.search(r'<script type="application/json" id="vocabulary">(.*?)</script>', text, re.S)
    assert found, "every page carries the vocabulary"
    loaded: dict[str, object] = json.loads(html.unescape(found.group(1)))
    return loaded


def test_pages_carry_the_python_vocabulary(world: World) -> None:
    client = world.app.test_client()
    for path in ("/report", "/followup", "/console/login"):
        words_ = page_vocabulary(client.get(path).text)
        assert words_["field_order"] == list(vocabulary.REPORT_FIELDS), path
        assert words_["status_order"] == list(vocabulary.STATUSES), path
        assert set(words_["errors"]) == set(vocabulary.ERROR_MESSAGES), path  # type: ignore[arg-type]
    client.get("/language/ja")
    japanese = page_vocabulary(client.get("/report").text)
    labels = japanese["status"]
    assert isinstance(labels, dict) and set(labels) == set(vocabulary.STATUSES)
    assert not any(label.isascii() for label in labels.values()), labels
    fields = japanese["fields"]
    assert isinstance(fields, dict) and not fields["how_known"].isascii()


def test_cases_has_a_context_per_place_in_japanese(world: World) -> None:
    with world.app.test_request_context("/"):
        from flask import session

        session["lang"] = "ja"
        column = pgettext("statistics column: a number of cases", "Cases")
        menu = pgettext("console: the list of cases", "Cases")
    assert column == "件数" and menu != column and not menu.isascii()
    client = world.app.test_client()
    client.get("/language/ja")
    console = client.get("/console/login").text
    assert menu in console and "件数" not in console


def test_error_wording_follows_the_reason_not_the_english_message(world: World) -> None:
    with world.app.test_request_context("/"):
        long = InvalidInput("anything at all", field="when", reason="too_long")
        assert words.error_text(long, "fallback") == "“When did it happen?” is too long."
        # An English message that happens to say "longer than" no longer decides the wording.
        odd = InvalidInput("when is longer than we like", field="when")
        assert words.error_text(odd, "fallback") == "“When did it happen?” could not be accepted."
        empty = InvalidInput("x", field="what_happened", reason="required")
        assert words.error_text(empty, "fallback") == "Please fill in “What happened?”."
        assert words.error_text(ReceiptNotFound("x"), "fallback").startswith("No case matches")
        assert words.error_text(InvalidInput("x"), "fallback") == "fallback"


def test_no_js_long_field_is_named_in_the_page(world: World) -> None:
    client = world.app.test_client()
    page = client.get("/report").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page)
    assert token
    limit = wiring.settings(world.app).max_field_chars
    r = client.post(
        "/report",
        data={
            "csrf_token": token.group(1),
            "category": "fraud_accounting",
            "what_happened": "x",
            "where": "y" * (limit + 1),
            "external_only": "0",
        },
    )
    assert r.status_code == 400 and "“Where did it happen?” is too long." in html.unescape(r.text)


def test_exclusions_offer_only_people_who_could_receive_the_report(
    world: World, admin_id: int
) -> None:
    page = world.app.test_client().get("/report").text
    assert "People who must not see this report" in page
    assert f'value="{world.handler_ids["comp.one"]}"' in page
    # An administrator never receives a key: offering to exclude one would do nothing.
    assert f'id="exclude-{admin_id}"' not in page and ADMIN[0] not in page
