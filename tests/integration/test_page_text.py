"""The reporter pages' fast paths change nothing a reader gets. `PageText`
(hotline/views/words.py) gives every template string in every locale exactly what Jinja's
i18n `_` gives, so whole pages are the same with either; a fragment
(hotline/views/fragments.py) is what rendering it on the page gives, and names nothing a
request brings; and what reporters and administrators wrote is escaped on every page."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from flask import Flask, render_template, render_template_string
from flask.testing import FlaskClient
from jinja2 import nodes
from sqlalchemy import text

from hotline import db
from hotline.views import words
from hotline.views.fragments import FRAGMENT_NAMES, Fragments
from hotline.views.reporter import LANGUAGES
from tests.support.world import small_app

CSRF = re.compile(r'name="csrf_token" value="[^"]+"')
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")


@pytest.fixture(scope="module")
def app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return small_app(tmp_path_factory.mktemp("page-text"))


def client_in(app: Flask, lang: str) -> FlaskClient:
    client = app.test_client()
    assert client.get(f"/language/{lang}").status_code == 302
    return client


def token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found
    return found.group(1)


@contextmanager
def reference_rendering(app: Flask) -> Iterator[None]:
    """Jinja's i18n `_` on every page (no `PageText`) and fragments rendered afresh."""
    processors = app.template_context_processors[None]
    saved = list(processors)
    fragments = app.jinja_env.globals["fragment"]
    assert isinstance(fragments, Fragments)
    processors[:] = [p for p in processors if p.__name__ != "_page_text"]
    assert len(processors) == len(saved) - 1
    app.jinja_env.globals["fragment"] = Fragments(app.jinja_env, fragments.page_globals)
    try:
        yield
    finally:
        processors[:] = saved
        app.jinja_env.globals["fragment"] = fragments


def pages(client: FlaskClient, receipt: str) -> dict[str, str]:
    """The pages a reporter sees, CSRF tokens blanked (each request has its own)."""
    got: dict[str, Any] = {
        path: client.get(path) for path in ("/", "/?done=1", "/report", "/followup")
    }
    got["/console/login"] = client.get("/console/login")
    got["report error"] = client.post(
        "/report",
        data={"csrf_token": token(client, "/report"), "category": "", "what_happened": "x"},
    )
    got["case"] = client.post(
        "/followup", data={"csrf_token": token(client, "/followup"), "receipt": receipt}
    )
    got["receipt error"] = client.post(
        "/followup", data={"csrf_token": token(client, "/followup"), "receipt": "1234"}
    )
    return {name: f"{r.status_code} {CSRF.sub('', r.text)}" for name, r in got.items()}


def a_receipt(client: FlaskClient, what: str = "a report to open") -> str:
    reply = client.post(
        "/report",
        data={"csrf_token": token(client, "/report"), "category": "other", "what_happened": what},
    )
    assert reply.status_code == 201, reply.text[:300]
    found = RECEIPT.search(reply.text)
    assert found
    return found.group(0)


def test_every_template_string_is_what_jinjas_gettext_gives(app: Flask) -> None:
    literals = sorted(words.template_literals(app.jinja_env))
    assert len(literals) > 100 and "Make a report" in literals
    each = "{% for s in strings %}{{ _(s) }}\x00{% endfor %}"
    for lang in LANGUAGES:
        with app.test_request_context("/"):
            from flask import session

            session["lang"] = lang
            fast = render_template_string(each, strings=literals)  # PageText: kept
            again = render_template_string(each, strings=literals)  # from what it kept
            jinja = app.jinja_env.from_string(each).render(strings=literals)  # the extension
        assert fast == again == jinja, lang
        translated = sum(a != b for a, b in zip(jinja.split("\x00"), literals, strict=False))
        if lang == "ja":
            assert translated > 100, translated
        # Markup from the catalogue, formatted with `%` as Jinja does ("100%%" -> "100%").
        assert "&lt;" not in jinja


def test_pages_are_the_same_as_with_jinjas_gettext_in_every_locale(app: Flask) -> None:
    for lang in LANGUAGES:
        client = client_in(app, lang)
        receipt = a_receipt(client)
        fast = pages(client, receipt)
        with reference_rendering(app):
            reference = pages(client, receipt)
        assert fast.keys() == reference.keys()
        for name in fast:
            assert fast[name] == reference[name], (lang, name)
        assert f'lang="{lang}"' in fast["/report"]
    english = pages(client_in(app, "en"), receipt)
    assert english["/report"] != fast["/report"]  # the last locale was Japanese


def test_a_fragment_is_what_rendering_it_on_a_page_gives(app: Flask) -> None:
    fragments = app.jinja_env.globals["fragment"]
    assert isinstance(fragments, Fragments)
    for lang in LANGUAGES:
        for name in FRAGMENT_NAMES:
            with app.test_request_context("/report"):
                from flask import session

                session["lang"] = lang
                kept = fragments(name)
                assert fragments(name) is kept  # once per locale
                assert render_template(name) == kept, (lang, name)


def test_fragments_name_only_page_globals(app: Flask) -> None:
    fragments = app.jinja_env.globals["fragment"]
    assert isinstance(fragments, Fragments)
    allowed = set(fragments.page_globals("en")) | {"_", "field_label", "browser_vocabulary"}
    assert app.jinja_env.loader is not None
    for name in FRAGMENT_NAMES:
        source = app.jinja_env.loader.get_source(app.jinja_env, name)[0]
        tree = app.jinja_env.parse(source)
        # Every name it reads, globals included (request, session, csrf_token, url_for...).
        used = {n.name for n in tree.find_all(nodes.Name) if n.ctx == "load"}
        assert used <= allowed, (name, used - allowed)
        assert not list(tree.find_all((nodes.Include, nodes.Import, nodes.FromImport))), name
        assert not list(tree.find_all((nodes.Extends, nodes.Macro, nodes.Assign))), name
    with app.test_request_context("/"), pytest.raises(ValueError):
        fragments("reporter/_receipt_body.html")


def test_what_people_wrote_is_escaped(app: Flask, tmp_path: Path) -> None:
    with app.app_context():
        session = db.session()
        session.execute(
            text("UPDATE categories SET label_en = :label WHERE slug = 'other'"),
            {"label": '<b>Other</b> & "more"'},
        )
        session.execute(text("UPDATE handlers SET display_name = '<i>Comp</i> One'"))
        session.commit()
    client = client_in(app, "en")
    form = client.get("/report").text
    assert "&lt;b&gt;Other&lt;/b&gt; &amp; &#34;more&#34;" in form and "<b>Other" not in form
    assert "&lt;i&gt;Comp&lt;/i&gt; One" in form and "<i>Comp" not in form
    rejected = client.post(
        "/report",
        data={
            "csrf_token": token(client, "/report"),
            "category": "<b>none</b>",
            "what_happened": "<script>alert(1)</script> 50% {{ 7 * 7 }}",
            "when": '"><img src=x>',
        },
    )
    assert rejected.status_code >= 400
    assert "&lt;script&gt;alert(1)&lt;/script&gt; 50% {{ 7 * 7 }}" in rejected.text
    assert "<script>alert(1)" not in rejected.text and "<img src=x>" not in rejected.text
    assert "&#34;&gt;&lt;img src=x&gt;" in rejected.text
    receipt = a_receipt(client, "<em>sent</em> 100%")
    reply = client.post(
        "/followup/reply",
        data={"csrf_token": token(client, "/followup"), "receipt": receipt, "body": "<u>more</u>"},
    )
    assert reply.status_code == 200
    assert "&lt;em&gt;sent&lt;/em&gt; 100%" in reply.text and "<em>sent" not in reply.text
    assert "&lt;u&gt;more&lt;/u&gt;" in reply.text and "<u>more" not in reply.text
