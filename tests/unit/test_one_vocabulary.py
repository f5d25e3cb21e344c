"""Each word and helper is defined once (issue 10 §4): the vocabulary in hotline/vocabulary.py,
the browser crypto one module per crypto/ file, the page helpers in web/js/page.js."""

from __future__ import annotations

import re
from pathlib import Path

from hotline import vocabulary
from hotline.models import CaseStatus, Channel
from hotline.services import workflow

ROOT = Path(__file__).resolve().parents[2]
WEB_JS = ROOT / "web" / "js"
JS_FILES = sorted(WEB_JS.rglob("*.js"))
PY_FILES = sorted((ROOT / "hotline").rglob("*.py"))
TEMPLATES = sorted((ROOT / "web" / "templates").rglob("*.html"))


def holders(needle: str, files: list[Path]) -> list[str]:
    return [str(p.relative_to(ROOT)) for p in files if needle in p.read_text(encoding="utf-8")]


def test_vocabulary_matches_the_model_and_workflow() -> None:
    assert tuple(s.value for s in CaseStatus) == vocabulary.STATUSES
    assert [s.value for s in workflow.ORDER] == list(vocabulary.STATUSES)
    assert tuple(c.value for c in Channel) == vocabulary.CHANNELS
    assert tuple(vocabulary.STATUS_LABELS) == vocabulary.STATUSES
    assert tuple(vocabulary.OUTCOME_LABELS) == vocabulary.OUTCOMES
    assert tuple(vocabulary.CHANNEL_LABELS) == vocabulary.CHANNELS
    assert tuple(vocabulary.FIELD_LABELS) == vocabulary.REPORT_FIELDS


def test_labels_and_field_lists_live_in_the_vocabulary_only() -> None:
    for label in [*vocabulary.STATUS_LABELS.values(), *vocabulary.FIELD_LABELS.values()]:
        assert holders(f'"{label}"', PY_FILES) == ["hotline/vocabulary.py"], label
        assert holders(f'_("{label}")', TEMPLATES) == [], label
        assert holders(f"'{label}'", JS_FILES) == [], label
    listed = re.compile(r"""["'](?:what_happened|when)["'],\s*["'](?:when|where)["']""")
    for path in [*PY_FILES, *JS_FILES, *TEMPLATES]:
        if path.name != "vocabulary.py":
            assert not listed.search(path.read_text(encoding="utf-8")), path
    elsewhere = [p for p in [*PY_FILES, *JS_FILES, *TEMPLATES] if p.name != "vocabulary.py"]
    for message in vocabulary.ERROR_MESSAGES.values():
        assert holders(message, elsewhere) == [], message


def test_browser_crypto_mirrors_crypto_one_module_per_file() -> None:
    server_only = {"__init__", "pepper", "argon2_pool"}  # the host's pool: no browser twin
    python = {p.stem for p in (ROOT / "crypto").glob("*.py")} - server_only
    javascript = {p.stem for p in (WEB_JS / "crypto").glob("*.js")}
    assert javascript == python
    assert holders("hotline:attachment-meta:v2", JS_FILES) == ["web/js/crypto/sealing.js"]


def test_page_helpers_are_defined_once_and_no_script_is_long() -> None:
    for helper in ("const $ =", "const paint =", "class Shown", "function apiCaller"):
        assert holders(helper, JS_FILES) == ["web/js/page.js"], helper
    lines = {str(p.relative_to(ROOT)): len(p.read_text().splitlines()) for p in JS_FILES}
    assert {name: n for name, n in lines.items() if n > 400} == {}
