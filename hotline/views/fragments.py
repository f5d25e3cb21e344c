"""Template parts that are the same on every page in one locale, rendered once per locale.

A page writes `{{ fragment("reporter/_i18n.html") }}` where it used to include the part.
The part is rendered with nothing but the page globals of its locale (`page_globals`: the
app's settings as the pages show them, the organisation key, the language) and the
template globals that depend only on the locale (`_`, `field_label`,
`browser_vocabulary`); never with a request's variables, so it cannot hold a CSRF token,
a nonce, a session value, a receipt, a case id or anything a reporter sent.
`FRAGMENT_NAMES` lists the parts, and tests/integration/test_page_text.py checks that each
one names no other variable.

What is kept: the rendered Markup per part and locale, per app. Lifetime: while the
locale's page globals are the same object (they are made again when the app's settings
are replaced) and the process lives (the catalogues change only with a release, which
restarts the workers); nothing is kept while Jinja reloads changed templates (debug).
Reason: the scripts' strings (`_i18n.html`, ~25 strings as JSON), the chat's markup and
strings and the ~150-entry browser vocabulary as JSON were rendered on every reporter
page: with the scripts block rendered once instead of twice, about 5 % of a no-JavaScript
submission's CPU.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from flask_babel import get_locale
from jinja2 import Environment
from markupsafe import Markup

FRAGMENT_NAMES = ("_vocabulary.html", "reporter/_i18n.html", "reporter/_chat.html")


class Fragments:
    def __init__(self, env: Environment, page_globals: Callable[[str], Mapping[str, Any]]) -> None:
        self._env = env
        self.page_globals = page_globals
        self._kept: dict[tuple[str, str], tuple[Mapping[str, Any], Markup]] = {}

    def __call__(self, name: str) -> Markup:
        if name not in FRAGMENT_NAMES:
            raise ValueError(f"not a fragment: {name}")
        lang = str(get_locale())
        values = self.page_globals(lang)
        key = (name, lang)
        kept = self._kept.get(key)  # one dict operation: safe between threads
        if kept is not None and kept[0] is values:
            return kept[1]
        # An autoescaped template's output: the template escaped what it wrote.
        markup = Markup(self._env.get_template(name).render(values))  # noqa: S704
        if not self._env.auto_reload:
            self._kept[key] = (values, markup)
        return markup
