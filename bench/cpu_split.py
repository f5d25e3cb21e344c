"""Where the machine's CPU goes per request under steady load, by process kind: the Argon2id
pool, the gunicorn workers, PostgreSQL, Redis, the load client and everything else on the
machine, over a window in the middle of a bench/load.py cell (same production shape).

    .venv/bin/python bench/cpu_split.py [--scenarios channel,nojs,followup,followup_nojs]
        [--workers 2] [--clients 16] [--seconds 10] [--argon2-pool on|off] [--out FILE]

This is what bounds the server-sealed rates: every such request costs one Argon2id run plus
what the workers, PostgreSQL and the client spend on it, and two cores share all of it. The
printed ceiling is one Argon2id run's time divided by the CPU a request costs in all, i.e.
the share of the Argon2id-bound limit (cores / one run) this machine could reach at best
with that per-request cost. CPU times come from /proc, so they stay meaningful on a busy
machine (the "other" line shows how busy it was).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import client as hc  # noqa: E402
from bench import load  # noqa: E402

TICKS = os.sysconf("SC_CLK_TCK")
KINDS = ("pool", "workers", "postgres", "redis", "client", "other")


def cpu_by_process() -> dict[int, tuple[str, float]]:
    """pid -> (kind, user+system seconds so far)."""
    found: dict[int, tuple[str, float]] = {}
    me = os.getpid()
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            command = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode()
        except OSError:
            continue
        name = stat[stat.index("(") + 1 : stat.rindex(")")]
        fields = stat[stat.rindex(")") + 2 :].split()
        seconds = (int(fields[11]) + int(fields[12])) / TICKS
        pid = int(entry)
        found[pid] = (_kind(pid, me, name, command), seconds)
    return found


def _kind(pid: int, me: int, name: str, command: str) -> str:
    if "crypto.argon2_pool" in command:
        return "pool"
    if "gunicorn" in command:
        return "workers"
    if name.startswith("postgres") or command.startswith("postgres"):
        return "postgres"
    if name.startswith("redis"):
        return "redis"
    if pid == me or "bench/cpu_split.py" in command:
        return "client"  # the load client's processes are forks of this one
    return "other"


def split(scenario: str, workers: int, clients: int, seconds: float, pool: bool) -> dict[str, Any]:
    with tempfile.TemporaryDirectory(prefix="hotline-cpu-") as folder:
        server = load.Server(Path(folder), workers, pool=pool)
        server.create()
        try:
            server.start()
            shared = load.setup(hc.Client("127.0.0.1", server.port), load.read_token(server))
            shared["budget"] = int((seconds + 12) * 40 / clients) + 10
            cell: dict[str, Any] = {}

            def drive() -> None:
                cell.update(load.cell(server, scenario, clients, seconds + 8, shared))

            driver = threading.Thread(target=drive)
            driver.start()
            time.sleep(5)  # past the clients' start
            before, began = cpu_by_process(), time.perf_counter()
            time.sleep(seconds)
            after, window = cpu_by_process(), time.perf_counter() - began
            driver.join()
            one_run = load.argon2_seconds()
        finally:
            server.stop()
            server.drop()
    spent: Counter[str] = Counter()
    for pid, (kind, total) in after.items():
        if pid in before:
            spent[kind] += total - before[pid][1]
    requests = cell["throughput"] * window
    per_request = {kind: spent[kind] / requests * 1000 for kind in KINDS}
    served = sum(per_request[k] for k in KINDS if k != "other")
    cores = os.cpu_count() or 1
    return {
        "scenario": scenario,
        "workers": workers,
        "clients": clients,
        "argon2_pool": pool,
        "throughput": cell["throughput"],
        "errors": cell["errors"],
        "of_bound": round(cell["throughput"] * one_run / cores, 2),
        "argon2_run_ms": round(one_run * 1000, 1),
        "cpu_ms_per_request": {k: round(v, 2) for k, v in per_request.items()},
        "served_cpu_ms": round(served, 1),
        "ceiling": round(one_run * 1000 / served, 2),
        "idle_share": round(1 - sum(spent.values()) / (window * cores), 2),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", default="channel,nojs,followup,followup_nojs")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--clients", type=int, default=16)
    parser.add_argument("--seconds", type=float, default=10.0)
    parser.add_argument("--argon2-pool", choices=("on", "off"), default="on")
    parser.add_argument("--out", help="write the rows as JSON here")
    args = parser.parse_args()
    rows = []
    for scenario in [s for s in args.scenarios.split(",") if s]:
        row = split(scenario, args.workers, args.clients, args.seconds, args.argon2_pool == "on")
        rows.append(row)
        cpu = row["cpu_ms_per_request"]
        print(
            f"{scenario:13} {row['throughput']:>5}/s ({row['of_bound']:.2f} of bound), "
            f"errors {row['errors'] or '-'}; CPU ms per request: "
            + ", ".join(f"{k} {cpu[k]:.1f}" for k in KINDS)
            + f"; one run {row['argon2_run_ms']} ms, ceiling {row['ceiling']:.2f}, "
            f"idle {row['idle_share']:.2f}",
            flush=True,
        )
    if args.out:
        Path(args.out).write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
