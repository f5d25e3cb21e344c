"""The held-out conversation set is well formed, big enough, and kept apart from the NLU
training data (no turn appears verbatim in bot/data)."""

from __future__ import annotations

import unicodedata
from pathlib import Path
from typing import Set

import yaml

import evaluate

BOT = Path(__file__).resolve().parents[1]


def _key(text: str) -> str:
    return unicodedata.normalize("NFKC", text).strip().lower().rstrip(".!?。！？")


def training_texts() -> Set[str]:
    texts: Set[str] = set()
    for path in (BOT / "data").glob("*.yml"):
        for block in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu") or []:
            for line in str(block.get("examples") or "").splitlines():
                line = line.strip()
                if line.startswith("- "):
                    texts.add(_key(line[2:]))
    return texts


def test_set_size_and_expectations() -> None:
    items = evaluate.load_conversations()
    ids = [c["id"] for c in items]
    assert len(ids) == len(set(ids))
    for language in ("en", "ja"):
        mine = [c for c in items if c["language"] == language]
        assert len(mine) >= 30, language
        assert sum(bool(c["expect"].get("filed")) for c in mine) >= 15
        assert sum(not c["expect"].get("filed") for c in mine) >= 8
        assert any(c.get("channel") == "sms" for c in mine)
    for item in items:
        assert all(isinstance(t, str) and t for t in item["turns"]), item["id"]
        expect = item["expect"]
        assert isinstance(expect.get("filed"), bool), item["id"]
        if expect["filed"]:
            assert expect.get("category"), item["id"]


def test_no_turn_is_in_the_training_data() -> None:
    trained = training_texts()
    assert len(trained) > 100
    overlap = sorted({t for c in evaluate.load_conversations() for t in c["turns"]
                      if _key(t) in trained})
    assert overlap == []
