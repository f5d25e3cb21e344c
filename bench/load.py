"""Load against the production shape over loopback: gunicorn (gunicorn.conf.py) with 1, 2
and 4 workers, PostgreSQL, Redis, production Argon2id.

Scenarios, each at 1, 4, 16 and 64 concurrent clients:
- sealed:   the browser-sealed submission as the browser makes it: GET a proof-of-work
            challenge, POST the sealed report (payloads and solved challenges are prepared
            before the timed phase, so the client is not the bottleneck; their lookup tags are
            derived with cheap Argon2id on the client, which the server cannot tell apart);
- nojs:     the no-JS form: GET /report for the CSRF token, POST /report (server-sealed);
- channel:  the channel API submission (server-sealed);
- followup: the channel API follow-up with a receipt (one server Argon2id run each).

Prints throughput, p50/p95/p99, errors by status and peak RSS per worker, and beside the
server-sealed rates the Argon2id-bound limit (cores / one Argon2id run, measured here);
writes everything to a JSON file.

    .venv/bin/python bench/load.py [--workers 1,2,4] [--clients 1,4,16,64] [--seconds 8]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections import Counter
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import client as hc  # noqa: E402
from crypto import pow as pow_rule  # noqa: E402
from crypto import receipts  # noqa: E402
from crypto.primitives import Argon2Params  # noqa: E402

PG_ADMIN = os.environ.get(
    "HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
VENV = ROOT / ".venv" / "bin"
SCENARIOS = ("sealed", "nojs", "channel", "followup")
POW_BITS = 8  # the server checks one hash whatever the difficulty; solving is client work


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- one client process ---------------------------------------------------------------------


def prepare(scenario: str, port: int, count: int, shared: dict[str, Any]) -> list[Any]:
    c = hc.Client("127.0.0.1", port)
    if scenario == "sealed":
        route = dict(shared["route"])
        route["argon2"] = {"ops": 1, "mem_bytes": 8192}
        items = []
        for i in range(count):
            report = hc.seal_report(route, "fraud_accounting", f"load {i} {secrets.token_hex(4)}")
            challenge = c.get("/api/v1/pow").json()
            header = pow_rule.solve_header(
                base64.b64decode(challenge["challenge"]), report.payload, POW_BITS
            )
            items.append((report, header))
        return items
    if scenario == "followup":
        return list(shared["receipts"])
    return [None] * count


def one(scenario: str, c: hc.Client, item: Any, token: str) -> int:
    if scenario == "sealed":
        report, pow_ = item
        c.get("/api/v1/pow")  # the browser asks for its challenge first
        return hc.submit_sealed(c, report, pow_).status
    if scenario == "nojs":
        c.cookies.clear()
        reply, _ = hc.nojs_report(c, "other", "load test no-JS " + secrets.token_hex(4))
        return reply.status
    if scenario == "channel":
        return hc.channel_report(c, token, "load test channel " + secrets.token_hex(4)).status
    return hc.channel_followup(c, token, item).status


def client_process(
    scenario: str,
    port: int,
    threads: int,
    seconds: float,
    shared: dict[str, Any],
    ready: Any,
    start: Any,
    out: Any,
) -> None:
    per_thread = int(shared["budget"])
    pools = [prepare(scenario, port, per_thread, shared) for _ in range(threads)]
    ready.put(1)
    start.wait()
    deadline = time.perf_counter() + seconds
    results: list[tuple[float, int]] = []
    lock = threading.Lock()

    def run(pool: list[Any]) -> None:
        c = hc.Client("127.0.0.1", port, timeout=120)
        mine: list[tuple[float, int]] = []
        i = 0
        while time.perf_counter() < deadline and i < len(pool):
            began = time.perf_counter()
            try:
                status = one(scenario, c, pool[i], str(shared["token"]))
            except OSError:
                status = 0
            mine.append((time.perf_counter() - began, status))
            i += 1 if scenario != "followup" else 0
            if scenario == "followup":
                pool.append(pool.pop(0))
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=run, args=(pool,)) for pool in pools]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    out.put(results)


# --- the server -----------------------------------------------------------------------------


class Server:
    def __init__(self, tmp: Path, workers: int) -> None:
        self.port = free_port()
        self.db = f"hotline_load_{secrets.token_hex(5)}"
        self.url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOTLINE_INSTANCE_PATH": str(tmp / "instance"),
            "HOTLINE_DATABASE_URL": self.url,
            "HOTLINE_REDIS_URL": REDIS,
            "HOTLINE_REDIS_PREFIX": f"hotline-load-{secrets.token_hex(4)}:",
            "HOTLINE_BIND": f"127.0.0.1:{self.port}",
            "HOTLINE_WORKERS": str(workers),
            "HOTLINE_POW_BITS": str(POW_BITS),
            "HOTLINE_LOG_LEVEL": "WARNING",
            "HOTLINE_RATELIMIT_ENABLED": "0",
            "HOTLINE_MAX_REQUESTS": "0",
        }
        self.process: subprocess.Popen[bytes] | None = None

    def flask(self, *args: str) -> str:
        done = subprocess.run(
            [str(VENV / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )
        return done.stdout

    def create(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'CREATE DATABASE "{self.db}"'))
        admin.dispose()
        self.flask("db", "upgrade")
        self.flask("routing", "load")
        self.flask("demo", "seed")

    def drop(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'))
        admin.dispose()

    def start(self) -> None:
        self.process = subprocess.Popen(
            [str(VENV / "gunicorn"), "-c", "gunicorn.conf.py", "wsgi:app"],
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{self.port}/healthz", timeout=2):
                    return
            except OSError:
                time.sleep(0.3)
        raise RuntimeError("gunicorn did not come up")

    def worker_pids(self) -> list[int]:
        assert self.process is not None
        found = subprocess.run(
            ["pgrep", "-P", str(self.process.pid)], capture_output=True, text=True, check=False
        )
        return [int(p) for p in found.stdout.split()]

    def peak_rss_mib(self) -> list[float]:
        peaks = []
        for pid in self.worker_pids():
            try:
                status = Path(f"/proc/{pid}/status").read_text()
            except OSError:
                continue
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    peaks.append(int(line.split()[1]) / 1024)
        return peaks

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)


def argon2_seconds() -> float:
    params = Argon2Params(3, 64 * 1024 * 1024)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        receipts.derive(receipts.generate(), b"s" * 16, params)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def cell(
    server: Server, scenario: str, clients: int, seconds: float, shared: dict[str, Any]
) -> dict[str, Any]:
    processes = min(clients, 4)
    split = [clients // processes + (1 if i < clients % processes else 0) for i in range(processes)]
    context = mp.get_context("fork")
    ready, out, start = context.Queue(), context.Queue(), context.Event()
    procs = [
        context.Process(
            target=client_process,
            args=(scenario, server.port, n, seconds, shared, ready, start, out),
        )
        for n in split
    ]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=900)
    began = time.perf_counter()
    start.set()
    results: list[tuple[float, int]] = []
    for _ in procs:
        results.extend(out.get(timeout=900))
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    ok_status = 200 if scenario == "followup" else 201
    latencies = sorted(t for t, s in results if s == ok_status)
    errors = Counter(str(s) for _, s in results if s != ok_status)

    def pct(q: float) -> float:
        return (
            latencies[min(len(latencies) - 1, int(q * len(latencies)))] * 1000 if latencies else 0
        )

    return {
        "scenario": scenario,
        "clients": clients,
        "completed": len(latencies),
        "throughput": round(len(latencies) / elapsed, 1),
        "p50_ms": round(pct(0.50), 1),
        "p95_ms": round(pct(0.95), 1),
        "p99_ms": round(pct(0.99), 1),
        "errors": dict(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--out", default="load-results.json")
    parser.add_argument("--table", help="print the docs table of an earlier JSON file and stop")
    args = parser.parse_args()
    if args.table:
        print(markdown(json.loads(Path(args.table).read_text())))
        return
    worker_counts = [int(x) for x in args.workers.split(",")]
    client_counts = [int(x) for x in args.clients.split(",")]
    scenarios = [s for s in args.scenarios.split(",") if s]
    cores = os.cpu_count() or 1
    one_run = argon2_seconds()
    bound = cores / one_run
    print(
        f"Argon2id (3 ops, 64 MiB) {one_run * 1000:.0f} ms here: "
        f"bound {bound:.1f}/s on {cores} cores"
    )
    report: dict[str, Any] = {
        "cores": cores,
        "load_average": os.getloadavg(),
        "argon2_seconds": one_run,
        "bound": bound,
        "runs": [],
    }
    for workers in worker_counts:
        with tempfile.TemporaryDirectory(prefix="hotline-load-") as folder:
            server = Server(Path(folder), workers)
            server.create()
            try:
                server.start()
                c = hc.Client("127.0.0.1", server.port)
                token = read_token(server)
                shared: dict[str, Any] = {
                    "route": hc.routing(c, "fraud_accounting"),
                    "token": token,
                    "receipts": [
                        str(hc.channel_report(c, token, "to follow up").json()["receipt"])
                        for _ in range(16)
                    ],
                }
                for scenario in scenarios:
                    server.stop()
                    server.start()  # fresh workers: the peak RSS is this scenario's
                    for clients in client_counts:
                        # Enough prepared work per client thread for the fastest plausible rate.
                        shared["budget"] = int(args.seconds * 400 / clients) + 10
                        row = cell(server, scenario, clients, args.seconds, shared)
                        row["workers"] = workers
                        row["peak_rss_mib"] = [round(x) for x in server.peak_rss_mib()]
                        if scenario != "sealed":
                            row["of_bound"] = round(row["throughput"] / bound, 2)
                        report["runs"].append(row)
                        print(
                            f"w={workers} {scenario:8} c={clients:>2} {row['throughput']:>7}/s "
                            f"p50 {row['p50_ms']:>7} p95 {row['p95_ms']:>7} "
                            f"p99 {row['p99_ms']:>7} ms"
                            f" errors {row['errors'] or '-'} rss {row['peak_rss_mib']}"
                            + (f" {row['of_bound']} of bound" if "of_bound" in row else ""),
                            flush=True,
                        )
            finally:
                server.stop()
                server.drop()
    Path(args.out).write_text(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"wrote {args.out}")


def markdown(report: dict[str, Any]) -> str:
    """The docs table: one row per workers x scenario, one column group per client count."""
    runs = report["runs"]
    clients = sorted({r["clients"] for r in runs})
    head = "| workers | scenario | " + " | ".join(f"{c} clients: /s, p95 ms" for c in clients)
    lines = [head + " | errors | peak RSS MiB |", "|" + "---|" * (len(clients) + 4)]
    for workers in sorted({r["workers"] for r in runs}):
        for scenario in SCENARIOS:
            rows = {
                r["clients"]: r
                for r in runs
                if r["workers"] == workers and r["scenario"] == scenario
            }
            if not rows:
                continue
            cells = [
                f"{rows[c]['throughput']}, {rows[c]['p95_ms']:.0f}" if c in rows else "-"
                for c in clients
            ]
            errors = sum(sum(r["errors"].values()) for r in rows.values())
            rss = max(max(r["peak_rss_mib"] or [0]) for r in rows.values())
            lines.append(
                f"| {workers} | {scenario} | " + " | ".join(cells) + f" | {errors} | {rss} |"
            )
    return "\n".join(lines)


def read_token(server: Server) -> str:
    secrets_file = Path(server.env["HOTLINE_INSTANCE_PATH"]) / "secrets.json"
    return str(json.loads(secrets_file.read_text())["CHANNEL_TOKEN"])


if __name__ == "__main__":
    main()
