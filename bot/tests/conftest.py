"""Bot tests run in the bot's venv; the real Flask app runs beside them from the main venv."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any, Dict, Iterator

import pytest

BOT = Path(__file__).resolve().parents[1]
ROOT = BOT.parent
MAIN_PYTHON = ROOT / ".venv" / "bin" / "python"
sys.path.insert(0, str(BOT))


@pytest.fixture(scope="session")
def hotline_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dict[str, Any]]:
    """The real hotline on a free loopback port, with the channel token the actions use."""
    folder = tmp_path_factory.mktemp("hotline")
    process = subprocess.Popen(
        [str(MAIN_PYTHON), "-m", "tests.support.live_app", "--port", "0", "--instance", str(folder)],
        cwd=ROOT, stdout=subprocess.PIPE, stderr=open(folder / "app.log", "wb"), text=True)
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError("the hotline app did not start: " +
                               (folder / "app.log").read_text()[-2000:])
        info = json.loads(line)
        os.environ["HOTLINE_API_URL"] = info["url"]
        os.environ["HOTLINE_CHANNEL_TOKEN"] = info["token"]
        from actions import hotline_api

        hotline_api.API_URL = info["url"]
        info["log"] = folder / "app.log"
        yield info
    finally:
        process.terminate()
        process.wait(timeout=10)
