"""The vocabulary (`hotline.vocabulary`) in the page's language, for views and templates.

`register` puts `status_label`, `channel_label`, `field_label`, `report_items` and
`browser_vocabulary` into every template; base.html writes `browser_vocabulary()` as inert
JSON that web/js/vocabulary.js reads.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
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


def browser_vocabulary() -> dict[str, Any]:
    return vocabulary.browser(_)


def register(app: Flask) -> None:
    app.jinja_env.globals.update(
        status_label=status_label,
        channel_label=channel_label,
        field_label=field_label,
        report_items=report_items,
        browser_vocabulary=browser_vocabulary,
    )
