"""The docs stay true to the code: every setting is documented, the README stays short,
and no document links outside the repository."""

from __future__ import annotations

import os
import re
from dataclasses import fields
from pathlib import Path
from typing import Any

import pytest

from hotline import config

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]
LOCAL_HOSTS = ("127.0.0.1", "localhost", "<")  # loopback, or a placeholder like <your host>


class _RecordingEnviron(dict[str, str]):
    """os.environ as config.py sees it, remembering every name it asks for."""

    def __init__(self, base: dict[str, str]) -> None:
        super().__init__(base)
        self.asked: set[str] = set()

    def get(self, key: str, default: Any = None) -> Any:  # type: ignore[override]
        self.asked.add(key)
        return super().get(key, default)

    def __getitem__(self, key: str) -> str:
        self.asked.add(key)
        return super().__getitem__(key)

    def __contains__(self, key: object) -> bool:
        if isinstance(key, str):
            self.asked.add(key)
        return super().__contains__(key)


def _variables_in_config(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> set[str]:
    names = set(re.findall(r"HOTLINE_[A-Z0-9_]*[A-Z0-9]", Path(config.__file__).read_text()))
    names.discard("HOTLINE_")
    environ = _RecordingEnviron(
        {k: v for k, v in os.environ.items() if not k.startswith("HOTLINE_")}
    )
    environ["HOTLINE_INSTANCE_PATH"] = str(tmp_path)
    monkeypatch.setattr(os, "environ", environ)
    config.load_settings({"INSTANCE_PATH": str(tmp_path)})
    every_field = {
        config.env_name(f.name) for f in fields(config.Settings) if f.name != "secret_sources"
    }
    return names | {n for n in environ.asked | every_field if n.startswith("HOTLINE_")}


def test_every_setting_in_config_is_in_the_configuration_doc(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    names = _variables_in_config(monkeypatch, tmp_path)
    assert len(names) >= 50, sorted(names)  # the reading works; the check below means something
    documented = set(
        re.findall(r"`(HOTLINE_[A-Z0-9_]+)`", (ROOT / "docs/configuration.md").read_text())
    )
    missing = sorted(names - documented)
    assert not missing, f"add these to docs/configuration.md: {missing}"


def test_readme_is_short() -> None:
    lines = (ROOT / "README.md").read_text(encoding="utf-8").splitlines()
    assert len(lines) <= 150, f"README.md has {len(lines)} lines; move detail into docs/"


def test_readme_keeps_the_two_setup_commands() -> None:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in text and "make test" in text


@pytest.mark.parametrize("doc", DOCS, ids=lambda p: str(p.relative_to(ROOT)))
def test_no_link_outside_the_repository(doc: Path) -> None:
    text = doc.read_text(encoding="utf-8")
    for url in re.findall(r"https?://[^\s)`'\"]*", text):
        host = url.split("://", 1)[1]
        assert host.startswith(LOCAL_HOSTS), f"{doc.name} links outside the repository: {url}"
    for named in re.findall(r"`(\.\./[^`\s]+)`", text):  # a path named in the text
        assert (doc.parent / named).resolve().is_relative_to(ROOT), f"{doc.name}: {named}"
    for target in re.findall(r"\]\(([^)\s]+)\)", text):
        assert "://" not in target and not target.startswith("//"), f"{doc.name}: {target}"
        path = (doc.parent / target.split("#", 1)[0]).resolve()
        assert path.is_relative_to(ROOT) and path.exists(), f"{doc.name}: broken link {target}"


def test_every_test_named_in_the_threat_model_exists() -> None:
    text = (ROOT / "docs/threat-model.md").read_text(encoding="utf-8")
    named = re.findall(r"`((?:bot/)?tests/[\w/]+\.py)::(\w+)`", text)
    assert len(named) >= 9, "each attacker's row names the tests that back it"
    for path, name in named:
        source = (ROOT / path).read_text(encoding="utf-8")
        assert re.search(rf"^(async )?def {name}\(", source, re.M), f"{path}::{name} is gone"
