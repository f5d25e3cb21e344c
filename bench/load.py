"""Load against the production shape over loopback: gunicorn (gunicorn.conf.py) with 1, 2
and 4 workers, the host's Argon2id pool (crypto/argon2_pool.py; `--argon2-pool off` runs
Argon2id in the workers instead), PostgreSQL, Redis, production Argon2id.

Scenarios, each at 1, 4, 16 and 64 concurrent clients, every request on its own connection:
- sealed:        the browser-sealed submission: GET a proof-of-work challenge, POST the sealed
                 report (payloads and solved challenges are prepared before the timed phase,
                 so the client is not the bottleneck; their lookup tags are derived with cheap
                 Argon2id on the client, which the server cannot tell apart);
- sealed_full:   every request the browser's report page makes for one report: the routing
                 preview, the key directory (revalidated: 304), the challenge, the report;
- followup_js:   the browser's follow-up: GET the receipt parameters, POST the lookup tag the
                 browser derived (no Argon2id on the server);
- nojs:          the no-JS form: GET /report for the CSRF token and cookie, POST /report
                 (server-sealed: one Argon2id run);
- channel:       the channel API submission (server-sealed);
- followup:      the channel API follow-up with a receipt (one server Argon2id run);
- followup_nojs: the no-JS follow-up: GET /followup, POST the receipt (one Argon2id run).

Prints throughput, p50/p95/p99, errors by status, peak RSS per worker and of the pool, and
beside the server-sealed rates the Argon2id-bound limit (cores / one Argon2id run, measured here);
writes everything to a JSON file.

    .venv/bin/python bench/load.py [--workers 1,2,4] [--clients 1,4,16,64] [--seconds 8]
        [--argon2-pool on|off]
"""

from __future__ import annotations

import argparse
import base64
import json
import multiprocessing as mp
import os
import re
import secrets
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
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
from crypto.argon2_pool import PoolClient  # noqa: E402
from crypto.primitives import Argon2Params  # noqa: E402
from hotline.serving import argon2_pool_command, gunicorn_command  # noqa: E402

PG_ADMIN = os.environ.get(
    "HOTLINE_BENCH_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS = os.environ.get("HOTLINE_BENCH_REDIS_URL", "redis://127.0.0.1:6379/0")
VENV = ROOT / ".venv" / "bin"
SCENARIOS = ("sealed", "sealed_full", "followup_js", "nojs", "channel", "followup", "followup_nojs")
SERVER_SEALED = ("nojs", "channel", "followup", "followup_nojs")  # one server Argon2id run each
CYCLIC = ("followup_js", "followup", "followup_nojs")  # the same receipts, over and over
POW_BITS = 8  # the server checks one hash whatever the difficulty; solving is client work


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- one client process ---------------------------------------------------------------------
#
# The timed phase sends prepared bytes over a plain socket and reads the status line: no
# JSON encoding, no header parsing beyond what a step needs (a CSRF token, a cookie), so
# the client takes little of the CPU it shares with the server. Every request carries
# "Connection: close" (gunicorn's sync workers close anyway), as a browser behind a
# round-robin balancer would open a new connection per request.


def raw_request(
    method: str, path: str, body: bytes = b"", headers: dict[str, str] | None = None
) -> bytes:
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Connection: close"]
    lines += [f"{k}: {v}" for k, v in (headers or {}).items()]
    if body or method == "POST":
        lines.append(f"Content-Length: {len(body)}")
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + body


def exchange(port: int, data: bytes, want_body: bool = False) -> tuple[int, bytes]:
    """Send one request; the status and, when asked, the whole response."""
    with socket.create_connection(("127.0.0.1", port), timeout=120) as sock:
        sock.sendall(data)
        chunks = []
        while True:
            chunk = sock.recv(65536)
            if not chunk:
                break
            chunks.append(chunk)
            if not want_body and b"\r\n" in chunks[0]:
                break
    response = b"".join(chunks)
    try:
        status = int(response[9:12])
    except ValueError:
        status = 0
    return status, response if want_body else b""


def _json_post(path: str, payload: dict[str, Any], **headers: str) -> bytes:
    body = json.dumps(payload).encode()
    return raw_request("POST", path, body, {"Content-Type": "application/json", **headers})


def prepare(scenario: str, port: int, count: int, shared: dict[str, Any]) -> list[Any]:
    """Everything a client would have computed before it sends: sealed payloads, solved
    proofs of work, receipts' lookup tags, the requests' bytes."""
    c = hc.Client("127.0.0.1", port)
    token = str(shared["token"])
    auth = {"Authorization": f"Bearer {token}"}
    if scenario in ("sealed", "sealed_full"):
        route = dict(shared["route"])
        # The lookup tag is derived with cheap Argon2id here (the server cannot tell); the
        # browser's own Argon2id run is client time, outside the server's work.
        route["argon2"] = {"ops": 1, "mem_bytes": 8192}
        items = []
        for i in range(count):
            report = hc.seal_report(route, "fraud_accounting", f"load {i} {secrets.token_hex(4)}")
            challenge = c.get("/api/v1/pow").json()
            header = pow_rule.solve_header(
                base64.b64decode(challenge["challenge"]), report.payload, POW_BITS
            )
            steps = [
                raw_request("GET", "/api/v1/pow"),  # the browser asks for its challenge
                _json_post("/api/v1/reports", report.payload, **{pow_rule.HEADER: header}),
            ]
            if scenario == "sealed_full":
                steps = [
                    _json_post("/api/v1/routing", {"category": "fraud_accounting"}),
                    # The key directory, revalidated as the browser's cache does.
                    raw_request(
                        "GET", "/.well-known/hotline-keys", headers=shared["keys_validator"]
                    ),
                    *steps,
                ]
            items.append(steps)
        return items
    if scenario == "followup_js":
        return [
            [
                raw_request("GET", "/api/v1/receipt-params"),
                _json_post("/api/v1/followup", {"lookup_tag": tag}),
            ]
            for tag in shared["lookup_tags"]
        ]
    if scenario == "channel":
        return [
            [
                _json_post(
                    "/api/v1/channel/reports",
                    {
                        "category": "other",
                        "body": f"load test channel {i} {secrets.token_hex(4)}",
                        "channel": "web",
                        "language": "en",
                    },
                    **auth,
                )
            ]
            for i in range(count)
        ]
    if scenario == "followup":
        return [
            [_json_post("/api/v1/channel/followup", {"receipt": r}, **auth)]
            for r in shared["receipts"]
        ]
    if scenario == "nojs":
        return [("/report", {"category": "other", "what_happened": f"load no-JS {i}"})
                for i in range(count)]  # fmt: skip
    if scenario == "followup_nojs":
        return [("/followup", {"receipt": r}) for r in shared["receipts"]]
    raise ValueError(scenario)


CSRF = re.compile(rb'name="csrf_token" value="([^"]+)"')
COOKIE = re.compile(rb"\r\nset-cookie: ([^=]+)=([^;\r]*)", re.I)


def form_steps(port: int, path: str, fields: dict[str, str]) -> int:
    """The page without JavaScript: GET the form (CSRF token, session cookie), POST it."""
    status, page = exchange(port, raw_request("GET", path), want_body=True)
    if status != 200:
        return status
    token = CSRF.search(page)
    cookies = "; ".join(f"{k.decode()}={v.decode()}" for k, v in COOKIE.findall(page))
    if token is None:
        return 0
    body = urllib.parse.urlencode({"csrf_token": token.group(1).decode(), **fields}).encode()
    headers = {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookies}
    return exchange(port, raw_request("POST", path, body, headers))[0]


def one(scenario: str, port: int, item: Any) -> int:
    """One submission or follow-up, every request the client makes for it; the status of
    the last (or of the first that failed)."""
    if scenario in ("nojs", "followup_nojs"):
        return form_steps(port, *item)
    status = 0
    for data in item:
        status = exchange(port, data)[0]
        if status >= 400 or status == 0:
            return status
    return status


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
    cpu0 = time.process_time()
    deadline = time.perf_counter() + seconds
    results: list[tuple[float, int]] = []
    lock = threading.Lock()
    cycle = scenario in CYCLIC

    def run(pool: list[Any]) -> None:
        mine: list[tuple[float, int]] = []
        i = 0
        while time.perf_counter() < deadline and (cycle or i < len(pool)):
            began = time.perf_counter()
            try:
                status = one(scenario, port, pool[i % len(pool)])
            except OSError:
                status = 0
            mine.append((time.perf_counter() - began, status))
            i += 1
        with lock:
            results.extend(mine)

    workers = [threading.Thread(target=run, args=(pool,)) for pool in pools]
    for t in workers:
        t.start()
    for t in workers:
        t.join()
    out.put((results, time.process_time() - cpu0))


# --- the server -----------------------------------------------------------------------------


class Server:
    def __init__(self, tmp: Path, workers: int, pool: bool = True) -> None:
        self.tmp = tmp
        self.pool_socket = str(tmp / "run" / "argon2.sock") if pool else ""
        self.pool: subprocess.Popen[bytes] | None = None
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
            "HOTLINE_ARGON2_SOCKET": self.pool_socket,
            # Metrics as in production (hotline-web@.service): every worker writes its own
            # files, summed at scrape time.
            "PROMETHEUS_MULTIPROC_DIR": str(tmp / "metrics"),
            # Only the organisation root's public half: handler keys are signed "offline"
            # (sign_keys), as in production; an online root would open its key file (an
            # Argon2id run) in every worker and blur the workers' peak RSS.
            "HOTLINE_KEYS_ROOT_PUBLIC_FILE": str(tmp / "offline-root" / "root.key.pub"),
        }
        (tmp / "metrics").mkdir(exist_ok=True)
        self.root_file = tmp / "offline-root" / "root.key"
        self.root_phrase = secrets.token_urlsafe(24)
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
        self.init_root()  # the app's configuration names the root's public half
        self.flask("db", "upgrade")
        self.flask("routing", "load")
        self.flask("demo", "seed")
        self.sign_keys()

    def offline(self, *args: str) -> None:
        """A command on the "offline" signing side: its own instance folder, the root key."""
        offline = self.tmp / "offline"
        offline.mkdir(mode=0o700, exist_ok=True)
        env = {
            **self.env,
            "HOTLINE_INSTANCE_PATH": str(offline),
            # Its own database and pepper: the offline machine shares nothing with the server.
            "HOTLINE_DATABASE_URL": f"sqlite:///{offline / 'offline.db'}",
            "HOTLINE_REDIS_URL": "",
        }
        env.pop("HOTLINE_KEYS_ROOT_PUBLIC_FILE")
        subprocess.run(
            [str(VENV / "flask"), "--app", "wsgi", *args, "--passphrase-stdin"],
            cwd=ROOT,
            env=env,
            input=self.root_phrase + "\n",
            capture_output=True,
            text=True,
            check=True,
            timeout=600,
        )

    def init_root(self) -> None:
        self.root_file.parent.mkdir(mode=0o700, exist_ok=True)
        self.offline("keys", "init-root", "--out", str(self.root_file))

    def sign_keys(self) -> None:
        """The handlers' keys signed as in production: requests out, signed on the offline
        side, entries back in."""
        requests, entries = self.tmp / "requests.json", self.tmp / "entries.json"
        self.flask("keys", "requests", "--out", str(requests))
        self.offline(
            "keys", "sign", str(requests), "--root", str(self.root_file), "--out", str(entries)
        )
        self.flask("keys", "import", str(entries))

    def drop(self) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db}" WITH (FORCE)'))
        admin.dispose()

    def _spawn(self, command: list[str]) -> subprocess.Popen[bytes]:
        return subprocess.Popen(
            command,
            cwd=ROOT,
            env=self.env,
            start_new_session=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )

    def start(self) -> None:
        if self.pool_socket:
            self.pool = self._spawn(argon2_pool_command(VENV / "python", self.pool_socket))
            deadline = time.monotonic() + 30
            while not PoolClient(self.pool_socket).answers():
                if time.monotonic() > deadline:
                    raise RuntimeError("the Argon2id pool did not come up")
                time.sleep(0.1)
        self.process = self._spawn(gunicorn_command(VENV / "python"))
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
        return [p for p in map(_peak_rss_mib, self.worker_pids()) if p is not None]

    def pool_peak_rss_mib(self) -> float | None:
        if self.pool is None:
            return None
        return _peak_rss_mib(self.pool.pid)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            self.process.wait(timeout=60)
        if self.pool is not None and self.pool.poll() is None:
            self.pool.terminate()
            self.pool.wait(timeout=30)


def _peak_rss_mib(pid: int) -> float | None:
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return None
    for line in status.splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return None


def argon2_seconds() -> float:
    params = Argon2Params(3, 64 * 1024 * 1024)
    times = []
    for _ in range(5):
        began = time.perf_counter()
        receipts.derive(receipts.generate(), b"s" * 16, params)
        times.append(time.perf_counter() - began)
    return statistics.median(times)


def argon2_parallel_rate(threads: int, seconds: float = 3.0) -> float:
    """Argon2id runs per second with `threads` running at once (libsodium releases the GIL):
    what the cores give when they all run Argon2id, memory bandwidth shared."""
    params = Argon2Params(3, 64 * 1024 * 1024)
    counts = [0] * threads
    deadline = time.perf_counter() + seconds

    def work(i: int) -> None:
        while time.perf_counter() < deadline:
            receipts.derive(receipts.generate(), b"s" * 16, params)
            counts[i] += 1

    began = time.perf_counter()
    pool = [threading.Thread(target=work, args=(i,)) for i in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    return sum(counts) / (time.perf_counter() - began)


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
    client_cpu = 0.0
    for _ in procs:
        found, cpu = out.get(timeout=900)
        results.extend(found)
        client_cpu += cpu
    elapsed = time.perf_counter() - began
    for p in procs:
        p.join()
    ok_status = 200 if scenario in CYCLIC else 201
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
        # The load client's own CPU, as a share of the machine: it runs on the same cores.
        "client_cpu_share": round(client_cpu / elapsed / (os.cpu_count() or 1), 3),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", default="1,2,4")
    parser.add_argument("--clients", default="1,4,16,64")
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--out", default="load-results.json")
    parser.add_argument(
        "--append", action="store_true", help="add this run's rows to the JSON file at --out"
    )
    parser.add_argument("--table", help="print the docs table of an earlier JSON file and stop")
    parser.add_argument(
        "--argon2-pool",
        choices=("on", "off"),
        default="on",
        help="the host's Argon2id pool (production's shape), or Argon2id in the workers",
    )
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
    parallel = argon2_parallel_rate(cores)
    print(
        f"Argon2id on all {cores} cores at once: {parallel:.1f}/s ({parallel / bound:.2f} of bound)"
    )
    report: dict[str, Any] = {
        "argon2_parallel_per_second": parallel,
        "cores": cores,
        "load_average": os.getloadavg(),
        "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "argon2_seconds": one_run,
        "bound": bound,
        "runs": [],
    }
    for workers in worker_counts:
        with tempfile.TemporaryDirectory(prefix="hotline-load-") as folder:
            server = Server(Path(folder), workers, pool=args.argon2_pool == "on")
            server.create()
            try:
                server.start()
                c = hc.Client("127.0.0.1", server.port)
                token = read_token(server)
                shared = setup(c, token)
                for scenario in scenarios:
                    server.stop()
                    server.start()  # fresh workers: the peak RSS is this scenario's
                    for clients in client_counts:
                        # Enough prepared work per client thread for the fastest plausible
                        # rate (cyclic scenarios reuse theirs).
                        rate = 200 * min(clients, 3) if scenario.startswith("sealed") else 40
                        shared["budget"] = int(args.seconds * rate / clients) + 10
                        row = cell(server, scenario, clients, args.seconds, shared)
                        row["workers"] = workers
                        row["peak_rss_mib"] = [round(x) for x in server.peak_rss_mib()]
                        row["argon2_pool"] = args.argon2_pool
                        pool_rss = server.pool_peak_rss_mib()
                        if pool_rss is not None:
                            row["pool_peak_rss_mib"] = round(pool_rss)
                        if scenario in SERVER_SEALED:
                            row["of_bound"] = round(row["throughput"] / bound, 2)
                            row["bound"] = round(bound, 2)
                        report["runs"].append(row)
                        print(
                            f"w={workers} {scenario:8} c={clients:>2} {row['throughput']:>7}/s "
                            f"p50 {row['p50_ms']:>7} p95 {row['p95_ms']:>7} "
                            f"p99 {row['p99_ms']:>7} ms"
                            f" errors {row['errors'] or '-'} rss {row['peak_rss_mib']}"
                            + (
                                f" pool {row['pool_peak_rss_mib']}"
                                if "pool_peak_rss_mib" in row
                                else ""
                            )
                            + (f" {row['of_bound']} of bound" if "of_bound" in row else ""),
                            flush=True,
                        )
            finally:
                server.stop()
                server.drop()
    report["load_average_end"] = os.getloadavg()
    report["argon2_seconds_end"] = argon2_seconds()  # the bound again, after the run
    report["finished"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    out = Path(args.out)
    meta = {k: v for k, v in report.items() if k != "runs"}
    meta["workers"] = worker_counts
    if args.append and out.exists():
        earlier = json.loads(out.read_text())
        earlier.setdefault("invocations", []).append(meta)
        earlier["runs"].extend(report["runs"])
        report = earlier
    else:
        report["invocations"] = [meta]
    out.write_text(json.dumps(report, indent=2))
    print(markdown(report))
    print(f"wrote {args.out}")


def markdown(report: dict[str, Any]) -> str:
    """The docs table: one row per workers x scenario, one column group per client count
    (completed per second, its share of the Argon2id-bound limit for server-sealed ones, p95)."""
    runs = report["runs"]
    clients = sorted({r["clients"] for r in runs})
    head = "| workers | scenario | " + " | ".join(f"{c} clients: /s, p95 ms" for c in clients)
    pools = any("pool_peak_rss_mib" in r for r in runs)
    tail = " | errors | peak RSS MiB per worker |" + (" pool peak RSS MiB |" if pools else "")
    lines = [head + tail, "|" + "---|" * (len(clients) + 4 + pools)]
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
                (
                    f"{rows[c]['throughput']}"
                    + (f" ({rows[c]['of_bound']:.2f})" if "of_bound" in rows[c] else "")
                    + f", {rows[c]['p95_ms']:.0f}"
                )
                if c in rows
                else "-"
                for c in clients
            ]
            errors = sum(sum(r["errors"].values()) for r in rows.values())
            rss = max(max(r["peak_rss_mib"] or [0]) for r in rows.values())
            pool = max((r.get("pool_peak_rss_mib", 0) for r in rows.values()), default=0)
            lines.append(
                f"| {workers} | {scenario} | "
                + " | ".join(cells)
                + f" | {errors} | {rss} |"
                + (f" {pool or '-'} |" if pools else "")
            )
    return "\n".join(lines)


def setup(c: hc.Client, token: str) -> dict[str, Any]:
    """What every client shares: the routing answer, receipts and lookup tags of cases to
    follow up, the key directory's validator."""
    route = hc.routing(c, "fraud_accounting")
    cheap = {**route, "argon2": {"ops": 1, "mem_bytes": 8192}}
    tags = []
    for i in range(16):
        report = hc.seal_report(cheap, "fraud_accounting", f"to follow up {i}")
        reply = hc.submit_sealed(c, report, hc.solve_pow(c, report))
        assert reply.status == 201, reply.body[:200]
        tags.append(hc.b64(report.lookup_tag))
    keys = c.get("/.well-known/hotline-keys")
    assert keys.status == 200
    etag = keys.headers.get("etag")
    return {
        "route": route,
        "token": token,
        "receipts": [
            str(hc.channel_report(c, token, "to follow up").json()["receipt"]) for _ in range(16)
        ],
        "lookup_tags": tags,
        "keys_validator": {"If-None-Match": etag} if etag else {},
    }


def read_token(server: Server) -> str:
    secrets_file = Path(server.env["HOTLINE_INSTANCE_PATH"]) / "secrets.json"
    return str(json.loads(secrets_file.read_text())["CHANNEL_TOKEN"])


if __name__ == "__main__":
    main()
