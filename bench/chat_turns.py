"""Latency of one bot turn through Flask's /chat (Flask → Rasa → actions), and Rasa's memory.

Starts a throwaway hotline (tests.support.live_app), the Rasa server and the action server, holds
--conversations full report conversations and prints p50/p95 per turn and resident memory.

    .venv/bin/python bench/chat_turns.py [--conversations 10]
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests.support.botprocs import free_port, live_app, running_bot

ROOT = Path(__file__).resolve().parent.parent
TURNS = [
    "hello",
    "I want to report something",
    "The buyer accepts gifts from a supplier every month",
    "2",
    "since May",
    "head office",
    "don't know",
    "I saw it",
    "no",
    "yes",
]


def post(url: str, body: dict[str, object]) -> dict[str, object]:
    request = urllib.request.Request(
        url, data=json.dumps(body).encode(), headers={"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def rss_mib(pid: int) -> float:
    total = 0
    pids = [pid]
    children = Path(f"/proc/{pid}/task/{pid}/children")
    if children.exists():
        pids += [int(p) for p in children.read_text().split()]
    for p in pids:
        for line in Path(f"/proc/{p}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                total += int(line.split()[1])
    return total / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--conversations", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        # The bot needs the app's URL and the app the bot's: choose both ports first.
        port, rasa_port = free_port(), free_port()
        with (
            live_app(port, tmp, f"http://127.0.0.1:{rasa_port}") as info,
            running_bot(
                str(info["url"]), str(info["token"]), Path(tmp) / "logs", rasa_port=rasa_port
            ) as bot,
        ):
            times: list[float] = []
            receipts = 0
            for _ in range(args.conversations):
                token = post(f"{info['url']}/chat/start", {})["conversation"]
                for text in TURNS:
                    start = time.perf_counter()
                    reply = post(
                        f"{info['url']}/chat/message", {"conversation": token, "text": text}
                    )
                    times.append((time.perf_counter() - start) * 1000)
                    receipts += bool(reply.get("receipt"))
            times.sort()
            p95 = times[max(0, int(len(times) * 0.95) - 1)]
            print(f"conversations {args.conversations}, turns {len(times)}, receipts {receipts}")
            print(
                f"bot turn via /chat  p50 {statistics.median(times):.0f} ms   "
                f"p95 {p95:.0f} ms   max {times[-1]:.0f} ms"
            )
            print(f"Rasa server RSS     {rss_mib(bot.processes[1].pid):.0f} MiB")
            print(f"action server RSS   {rss_mib(bot.processes[0].pid):.0f} MiB")


if __name__ == "__main__":
    main()
