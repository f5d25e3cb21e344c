"""Round trip of Twilio's webhook (signed POST → TwiML), with the bot up and with it down.

.venv/bin/python bench/sms_webhook.py [--texters 6]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline.cli_sms import send_signed
from tests.support.botprocs import free_port, live_app, running_bot

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token-0123456789abcdef"
BOT_TURNS = [
    "I want to report something",
    "Invoices are split to avoid approval",
    "1",
    "this year",
    "purchasing",
    "don't know",
    "I saw them",
    "no",
    "yes",
]
BUILTIN_TURNS = ["hello", "Invoices are split to avoid approval", "1", "YES"]


def rounds(url: str, turns: list[str], texters: int, prefix: str) -> list[float]:
    times: list[float] = []
    for i in range(texters):
        number = f"+8190{prefix}{i:06d}"
        for body in turns:
            start = time.perf_counter()
            status, _ = send_signed(url, TOKEN, number, body)
            times.append((time.perf_counter() - start) * 1000)
            assert status == 200, status
    return sorted(times)


def show(label: str, times: list[float]) -> None:
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(
        f"{label:10} requests {len(times):3}   p50 {statistics.median(times):6.0f} ms   "
        f"p95 {p95:6.0f} ms"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--texters", type=int, default=6)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        port, rasa_port = free_port(), free_port()
        with live_app(port, tmp, f"http://127.0.0.1:{rasa_port}", TOKEN) as info:
            url = str(info["url"])
            with running_bot(url, str(info["token"]), Path(tmp) / "logs", rasa_port=rasa_port):
                show("bot up", rounds(url, BOT_TURNS, args.texters, "1"))
            show("bot down", rounds(url, BUILTIN_TURNS, args.texters, "2"))


if __name__ == "__main__":
    main()
