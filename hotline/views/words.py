"""The vocabulary (`hotline.vocabulary`) in the page's language, for views and templates.

`register` puts `status_label`, `channel_label`, `field_label`, `report_items` and
`browser_vocabulary` into every template; base.html writes `browser_vocabulary()` as inert
JSON that web/js/vocabulary.js reads.
"""

from __future__ import annotations

import weakref
from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from jinja2 import Environment, pass_eval_context
from jinja2.ext import extract_from_ast
from jinja2.nodes import EvalContext
from markupsafe import Markup

from hotline import vocabulary
from hotline.services.errors import InvalidInput, ServiceError


def _(text: str, **values: str) -> str:
    """Flask-Babel's gettext (translate, then format only when given values) on the
    request's catalogue (`_translations`), not a context, locale and domain lookup each."""
    translated = _translations().ugettext(text)
    return str(translated % values if values else translated)


def status_label(status: str) -> str:
    return _(vocabulary.STATUS_LABELS[status]) if status in vocabulary.STATUS_LABELS else status


def channel_label(channel: str) -> str:
    text = vocabulary.CHANNEL_LABELS.get(channel)
    return _(text) if text else channel


def field_label(name: str) -> str:
    text = vocabulary.INPUT_LABELS.get(name)
    return _(text) if text else name


def report_items(fields: dict[str, str]) -> list[tuple[str, str]]:
    """A report's fields as (label, text), in the form's order (unknown names last)."""
    known = [name for name in vocabulary.REPORT_FIELDS if name in fields]
    rest = sorted(name for name in fields if name not in vocabulary.REPORT_FIELDS)
    return [(field_label(name), fields[name]) for name in known + rest]


def error_text(error: ServiceError, fallback: str) -> str:
    """What a person reads for a service error, in the page's language."""
    if error.code in vocabulary.ERROR_MESSAGES:
        return _(vocabulary.ERROR_MESSAGES[error.code])
    if isinstance(error, InvalidInput) and error.field:
        template = vocabulary.INPUT_ERROR_MESSAGES.get(
            error.reason, vocabulary.INPUT_ERROR_MESSAGES["invalid"]
        )
        return _(template, field=field_label(error.field))
    return fallback


# The browser vocabulary per locale, translated once per process. Lifetime: the process,
# like Flask-Babel's own catalogue cache (the compiled catalogues are read once per process
# and change only with a release, which restarts the workers). Reason: it is ~150 gettext
# calls on every page with scripts, a third of the no-JavaScript form's rendering time.
_BROWSER_VOCABULARY: dict[str, dict[str, Any]] = {}


def browser_vocabulary() -> dict[str, Any]:
    locale = str(get_locale())
    found = _BROWSER_VOCABULARY.get(locale)
    if found is None:
        found = _BROWSER_VOCABULARY[locale] = vocabulary.browser(_)
    return found


_G_TRANSLATIONS = "hotline_translations"


def _translations() -> Any:
    """The page's catalogue, looked up once per request (on `g`, so it ends with the
    request) instead of once per string: a page has ~80 strings, and Flask-Babel resolves
    context, locale and domain on every one (a quarter of a form page's rendering)."""
    if not has_app_context():
        return get_translations()
    found = g.get(_G_TRANSLATIONS)
    if found is None:
        found = get_translations()
        setattr(g, _G_TRANSLATIONS, found)
    return found


def template_literals(env: Environment) -> frozenset[str]:
    """Every string our templates pass literally to `_` or `gettext`: the bound on what
    `PageText` keeps (no text a request brings can ever become a key)."""
    loader = env.loader
    if loader is None:
        return frozenset()
    return frozenset(
        message
        for name in env.list_templates(extensions=("html",))
        for _line, _function, message in extract_from_ast(
            env.parse(loader.get_source(env, name)[0]), ("_", "gettext")
        )
        if isinstance(message, str)
    )


# The template literals per template folder: parsing every template takes ~50 ms, once per
# process (the templates change only with a release; tests make many apps over one folder).
_LITERALS: dict[str, frozenset[str]] = {}


class PageText:
    """The templates' `_` on a page rendered by a view (put into the page by `register`'s
    context processor; templates rendered without one use the extension's `_`).

    It returns exactly what Jinja's newstyle gettext returns (the catalogue's text, as
    Markup when autoescaping, always formatted with `%`), without its two indirect calls
    per string, and keeps the finished Markup of each template literal used without
    values. What it keeps: per catalogue object (Flask-Babel makes one per locale and
    keeps it for the process), only template literals (`template_literals`) and their
    translations, never a value a page passes in. Lifetime: the catalogue's, i.e. the
    process (catalogues change only with a release, which restarts the workers). Reason:
    ~85 strings on every reporter page, about 12 % of a no-JavaScript submission's CPU."""

    __slots__ = ("_catalogue", "_kept", "_literals")

    def __init__(self, catalogue: Any, kept: dict[str, str], literals: frozenset[str]) -> None:
        self._catalogue = catalogue
        self._kept = kept
        self._literals = literals

    @pass_eval_context
    def __call__(self, eval_ctx: EvalContext, string: str, **variables: Any) -> str:
        plain = not variables and eval_ctx.autoescape
        if plain:
            found = self._kept.get(string)
            if found is not None:
                return found
        text: str = self._catalogue.ugettext(string)
        if eval_ctx.autoescape:
            text = Markup(text)  # noqa: S704 (the catalogue's text, as Jinja's gettext does)
        text = text % variables  # as Jinja's newstyle gettext: always a format string
        if plain and string in self._literals:
            self._kept[string] = text
        return text


def register(app: Flask) -> None:
    """The vocabulary helpers, the templates' gettext through `_translations` (after
    Flask-Babel's init, which installs its own), and `PageText` as `_` on view pages."""
    app.jinja_env.install_gettext_callables(  # type: ignore[attr-defined]
        gettext=lambda s: _translations().ugettext(s),
        ngettext=lambda s, p, n: _translations().ungettext(s, p, n),
        newstyle=True,
        pgettext=lambda c, s: _translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: _translations().unpgettext(c, s, p, n),
    )
    app.jinja_env.globals.update(
        status_label=status_label,
        channel_label=channel_label,
        field_label=field_label,
        report_items=report_items,
        browser_vocabulary=browser_vocabulary,
    )
    # Per catalogue object; weak, so a catalogue Flask-Babel drops takes its texts along.
    kept: weakref.WeakKeyDictionary[Any, dict[str, str]] = weakref.WeakKeyDictionary()
    folder = str(app.template_folder)

    @app.context_processor
    def _page_text() -> dict[str, Any]:
        literals = _LITERALS.get(folder)
        if literals is None:
            literals = _LITERALS[folder] = template_literals(app.jinja_env)
        catalogue = _translations()
        return {"_": PageText(catalogue, kept.setdefault(catalogue, {}), literals)}
