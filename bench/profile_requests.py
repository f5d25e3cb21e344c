"""The server's own cost per request, one process, no HTTP server in between: what each
scenario of bench/load.py costs in CPU, database and Redis round trips, and where the
time goes (cProfile). Stable under a busy machine in a way throughput is not: the round
trip counts are exact, and the CPU time is process time, not wall time.

    .venv/bin/python bench/profile_requests.py [--scenarios sealed,followup_js] [-n 200]
        [--top 25] [--argon2 cheap|production]

It makes a PostgreSQL database and uses Redis exactly as bench/load.py does (the same
HOTLINE_BENCH_PG_URL / HOTLINE_BENCH_REDIS_URL), runs the app in this process with the
Flask test client, and prints per scenario: process CPU ms per submission (every request the
scenario makes), SQL statements and Redis commands per submission, and the top functions
by cumulative time. `--argon2 cheap` (the default) keeps Argon2id out of the picture so the
rest of the work shows; `production` measures the real thing.
"""

from __future__ import annotations

import argparse
import base64
import cProfile
import io
import json
import os
import pstats
import re
import secrets
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from hotline import wiring

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import client as hc  # noqa: E402
from bench.load import POW_BITS, Server  # noqa: E402
from crypto import pow as pow_rule  # noqa: E402

SCENARIOS = ("sealed", "sealed_post", "followup_js", "nojs", "channel", "followup", "followup_nojs")


class Counts:
    def __init__(self) -> None:
        self.sql = 0
        self.redis = 0


def instrument(app: Any, counts: Counts) -> None:
    import redis.connection
    from sqlalchemy import event

    from hotline import db

    engine = wiring.services(app).database.engine
    assert db is not None

    def on_sql(*_args: Any) -> None:
        counts.sql += 1

    event.listen(engine, "before_cursor_execute", on_sql)
    original = redis.connection.Connection.send_packed_command

    def counted(self: Any, command: Any, check_health: bool = True) -> None:
        counts.redis += 1
        original(self, command, check_health)

    redis.connection.Connection.send_packed_command = counted  # type: ignore[method-assign]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--scenarios", default=",".join(SCENARIOS))
    parser.add_argument("-n", type=int, default=200)
    parser.add_argument("--top", type=int, default=25)
    parser.add_argument("--argon2", choices=("cheap", "production"), default="cheap")
    parser.add_argument("--sort", default="cumulative", help="pstats order: cumulative, tottime")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="hotline-profile-") as folder:
        server = Server(Path(folder), 1)
        if args.argon2 == "cheap":
            server.env["HOTLINE_ARGON2_RECEIPT_OPS"] = "1"
            server.env["HOTLINE_ARGON2_RECEIPT_MEM"] = "8192"
            server.env["HOTLINE_TEST_MODE"] = "1"  # below the floors only in test mode
        server.create()
        try:
            os.environ.update(server.env)
            run(args)
        finally:
            server.drop()


def run(args: argparse.Namespace) -> None:
    from hotline import create_app

    app = create_app()
    counts = Counts()
    instrument(app, counts)
    web = app.test_client()
    token = json.loads((Path(app.instance_path) / "secrets.json").read_text())["CHANNEL_TOKEN"]
    auth = {"Authorization": f"Bearer {token}"}
    route = web.post("/api/v1/routing", json={"category": "fraud_accounting"}).get_json()
    cheap = dict(route)
    cheap["argon2"] = {"ops": 1, "mem_bytes": 8192}
    n = args.n

    def sealed_items() -> list[tuple[hc.SealedReport, str]]:
        items = []
        for i in range(n):
            report = hc.seal_report(cheap, "fraud_accounting", f"profile {i}")
            challenge = web.get("/api/v1/pow").get_json()
            header = pow_rule.solve_header(
                base64.b64decode(challenge["challenge"]), report.payload, POW_BITS
            )
            items.append((report, header))
        return items

    receipts = [
        web.post(
            "/api/v1/channel/reports",
            json={"category": "other", "body": "to follow up", "channel": "web", "language": "en"},
            headers=auth,
        ).get_json()["receipt"]
        for _ in range(8)
    ]
    tags: list[str] = []
    for report, header in sealed_items()[:8]:
        reply = web.post("/api/v1/reports", json=report.payload, headers={pow_rule.HEADER: header})
        assert reply.status_code == 201, reply.data[:200]
        tags.append(hc.b64(report.lookup_tag))

    def csrf(path: str) -> str:
        page = web.get(path)
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.get_data(as_text=True))
        assert found
        return found.group(1)

    def check(reply: Any, status: int) -> None:
        assert reply.status_code == status, (reply.status_code, reply.data[:300])

    scenarios: dict[str, tuple[Callable[[], Any], Callable[[Any, int], None]]] = {}

    def sealed_setup() -> Any:
        return iter(sealed_items())

    def sealed_post(state: Any, _i: int) -> None:
        report, header = next(state)
        check(web.get("/api/v1/pow"), 200)
        reply = web.post("/api/v1/reports", json=report.payload, headers={pow_rule.HEADER: header})
        check(reply, 201)

    def sealed(state: Any, _i: int) -> None:
        report, header = next(state)
        check(web.post("/api/v1/routing", json={"category": "fraud_accounting"}), 200)
        check(web.get("/.well-known/hotline-keys"), 200)
        check(web.get("/api/v1/pow"), 200)
        reply = web.post("/api/v1/reports", json=report.payload, headers={pow_rule.HEADER: header})
        check(reply, 201)

    def followup_js(_state: Any, i: int) -> None:
        check(web.get("/api/v1/receipt-params"), 200)
        check(web.post("/api/v1/followup", json={"lookup_tag": tags[i % len(tags)]}), 200)

    def nojs(_state: Any, _i: int) -> None:
        form = {
            "csrf_token": csrf("/report"),
            "category": "other",
            "what_happened": "profile " + secrets.token_hex(4),
        }
        check(web.post("/report", data=form), 201)

    def channel(_state: Any, _i: int) -> None:
        payload = {"category": "other", "body": "profile", "channel": "web", "language": "en"}
        check(web.post("/api/v1/channel/reports", json=payload, headers=auth), 201)

    def followup(_state: Any, i: int) -> None:
        payload = {"receipt": receipts[i % len(receipts)]}
        check(web.post("/api/v1/channel/followup", json=payload, headers=auth), 200)

    def followup_nojs(_state: Any, i: int) -> None:
        form = {"csrf_token": csrf("/followup"), "receipt": receipts[i % len(receipts)]}
        check(web.post("/followup", data=form), 200)

    scenarios = {
        "sealed": (sealed_setup, sealed),
        "sealed_post": (sealed_setup, sealed_post),
        "followup_js": (lambda: None, followup_js),
        "nojs": (lambda: None, nojs),
        "channel": (lambda: None, channel),
        "followup": (lambda: None, followup),
        "followup_nojs": (lambda: None, followup_nojs),
    }
    for name in [s for s in args.scenarios.split(",") if s]:
        setup, step = scenarios[name]
        warm = setup()
        for i in range(min(20, n)):
            step(warm, i)
        state = setup()
        cpu0 = time.process_time()
        for i in range(n):
            step(state, i)
        plain = (time.process_time() - cpu0) / n * 1000
        state = setup()
        counts.sql = counts.redis = 0
        profiler = cProfile.Profile(time.process_time)  # CPU, not wall: stable on a busy machine
        cpu0, wall0 = time.process_time(), time.perf_counter()
        profiler.enable()
        for i in range(n):
            step(state, i)
        profiler.disable()
        cpu, wall = time.process_time() - cpu0, time.perf_counter() - wall0
        print(
            f"\n=== {name}: {plain:.2f} ms CPU per submission ({cpu / n * 1000:.2f} CPU, "
            f"{wall / n * 1000:.2f} wall profiled), {counts.sql / n:.1f} SQL statements, "
            f"{counts.redis / n:.1f} Redis commands"
        )
        if os.environ.get("PROFILE_DUMP"):
            profiler.dump_stats(f"{os.environ['PROFILE_DUMP']}-{name}.prof")
        out = io.StringIO()
        pstats.Stats(profiler, stream=out).sort_stats(args.sort).print_stats(args.top)
        print("\n".join(line for line in out.getvalue().splitlines()[6:] if line.strip()))


if __name__ == "__main__":
    main()
