"""Every script and style tag carries the Subresource Integrity hash of the file served, and
`flask web asset-hashes` prints the same hashes for an organisation to compare."""

from __future__ import annotations

import base64
import hashlib
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from hotline import wiring
from tests.support.world import World, build_world

TAG = re.compile(r"<(?:script|link)\b[^>]*>")
PAGES = ["/", "/report", "/followup", "/console", "/console/login", "/admin/"]


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[World]:
    with build_world("sqlite", tmp_path_factory.mktemp("sri")) as world:
        yield world


def test_every_script_and_style_carries_the_served_files_hash(site: World) -> None:
    client = site.app.test_client()
    checked: set[str] = set()
    for page in PAGES:
        html = client.get(page).get_data(as_text=True)
        for tag in TAG.findall(html):
            source = re.search(r'(?:src|href)="(/static/[^"]+)"', tag)
            if source is None:
                assert 'type="application/json"' in tag or "rel=" not in tag or "icon" in tag, tag
                continue
            integrity = re.search(r'integrity="(sha384-[^"]+)"', tag)
            assert integrity, f"{page}: no integrity on {tag}"
            served = client.get(source.group(1))
            assert served.status_code == 200
            digest = base64.b64encode(hashlib.sha384(served.data).digest()).decode()
            assert integrity.group(1) == f"sha384-{digest}", f"{page}: {source.group(1)}"
            checked.add(source.group(1))
    assert {"/static/build/reporter.js", "/static/build/console.js"} <= checked
    assert "/static/css/hotline.css" in checked and "/static/build/chat.js" in checked


def test_a_changed_file_gets_a_new_hash(site: World, tmp_path: Path) -> None:
    hashes = wiring.services(site.app).assets
    css = Path(hashes.root) / "css" / "hotline.css"
    before = hashes.integrity("css/hotline.css")
    original = css.read_bytes()
    try:
        css.write_bytes(original + b"\n/* changed */\n")
        assert hashes.integrity("css/hotline.css") != before
    finally:
        css.write_bytes(original)
    assert hashes.integrity("css/hotline.css") == before
    with pytest.raises(ValueError):
        hashes.integrity("../../hotline/config.py")


def test_cli_prints_the_hashes_of_what_is_served(site: World) -> None:
    result = site.app.test_cli_runner().invoke(args=["web", "asset-hashes"])
    assert result.exit_code == 0, result.output
    client = site.app.test_client()
    lines = result.output.strip().splitlines()
    assert any(line.endswith("static/build/reporter.js") for line in lines)
    for line in lines:
        sha256, _size, sri, path = line.split()
        data = client.get("/" + path).data
        assert hashlib.sha256(data).hexdigest() == sha256
        assert sri == "sha384-" + base64.b64encode(hashlib.sha384(data).digest()).decode()
