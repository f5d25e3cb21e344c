"""The training data validates, and the trained model understands both languages.

Intent accuracy on held-out messages (never in training) is printed per language and must
reach 80 %; conversation stories must all pass.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest

BOT = Path(__file__).resolve().parents[1]
RASA = BOT / ".venv" / "bin" / "rasa"
ENV = {**os.environ, "RASA_TELEMETRY_ENABLED": "false"}


def rasa(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(RASA), *args], cwd=BOT, env=ENV, capture_output=True, text=True,
                          timeout=600)


@pytest.fixture(scope="module")
def model() -> Path:
    path = BOT / "models" / "hotline.tar.gz"
    stale = subprocess.run([str(BOT / ".venv" / "bin" / "python"), "manage.py", "stale"],
                           cwd=BOT).returncode == 0
    if stale:
        result = rasa("train", "--fixed-model-name", "hotline", "--out", "models")
        assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
        subprocess.run([str(BOT / ".venv" / "bin" / "python"), "manage.py", "stamp"], cwd=BOT,
                       check=True)
    return path


def test_data_validates() -> None:
    result = rasa("data", "validate")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]


@pytest.mark.parametrize("language", ["en", "ja"])
def test_intent_accuracy(model: Path, language: str, tmp_path: Path) -> None:
    out = tmp_path / language
    result = rasa("test", "nlu", "--model", str(model), "--nlu",
                  f"tests/nlu_test_{language}.yml", "--out", str(out))
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
    report = json.loads((out / "intent_report.json").read_text())
    accuracy = report["accuracy"]
    (BOT / "results").mkdir(exist_ok=True)
    (BOT / "results" / f"intent_accuracy_{language}.txt").write_text(f"{accuracy:.3f}\n")
    print(f"\nintent accuracy ({language}): {accuracy:.1%}")
    assert accuracy >= 0.8


def test_conversation_stories(model: Path, tmp_path: Path) -> None:
    result = rasa("test", "core", "--model", str(model), "--stories", "tests/test_stories.yml",
                  "--out", str(tmp_path), "--fail-on-prediction-errors")
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-3000:]
