"""The vocabulary (`hotline.vocabulary`) in the page's language, for views and templates.

`register` puts `status_label`, `channel_label`, `field_label`, `report_items` and
`browser_vocabulary` into every template; base.html writes `browser_vocabulary()` as inert
JSON that web/js/vocabulary.js reads.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, g, has_app_context
from flask_babel import get_locale, get_translations
from flask_babel import gettext as _babel_gettext

from hotline import vocabulary
from hotline.services.errors import InvalidInput, ServiceError


def _(text: str, **values: str) -> str:
    return str(_babel_gettext(text, **values))


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


def register(app: Flask) -> None:
    """The vocabulary helpers, and the templates' gettext through `_translations` (after
    Flask-Babel's init, which installs its own)."""
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
