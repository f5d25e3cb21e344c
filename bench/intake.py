"""Server-sealed intake and receipt follow-up throughput with production Argon2id parameters.

Runs in-process through the channel API (Flask test client, one per thread) on a temporary
SQLite database (or --database-url), and prints each rate beside the Argon2id-bound limit:
cores ÷ the time of one Argon2id run measured in this same process.

    .venv/bin/python bench/intake.py [--reports 48] [--threads N] [--database-url URL]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from hotline import wiring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto import receipts
from hotline import create_app, db, migrate
from hotline.services import accounts, routing


def argon2_seconds(app, runs: int = 7) -> float:  # type: ignore[no-untyped-def]
    keyring = wiring.services(app).context.keyring
    times = []
    for _ in range(runs):
        start = time.perf_counter()
        receipts.derive(receipts.generate(), keyring.receipt_salt, keyring.receipt_params)
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--reports", type=int, default=48)
    parser.add_argument("--threads", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--database-url", default=None)
    args = parser.parse_args()
    cores = os.cpu_count() or 1

    with tempfile.TemporaryDirectory() as tmp:
        url = args.database_url or f"sqlite:///{tmp}/bench.db"
        migrate.upgrade(url)
        app = create_app(
            {
                "DATABASE_URL": url,
                "INSTANCE_PATH": f"{tmp}/instance",
                "RATELIMIT_ENABLED": False,
                "LOG_LEVEL": "WARNING",
            }
        )
        with app.app_context():
            routing.load_policy(db.session(), Path(wiring.settings(app).routing_file))
            for desk in ("compliance", "audit_committee"):
                accounts.create_handler(
                    db.session(),
                    wiring.services(app).context,
                    f"bench.{desk}",
                    desk,
                    "bench-password-long-enough",
                )
        auth = {"Authorization": f"Bearer {wiring.settings(app).channel_token}"}
        t_argon = argon2_seconds(app)
        limit = cores / t_argon

        def submit(i: int) -> str:
            r = app.test_client().post(
                "/api/v1/channel/reports",
                headers=auth,
                json={
                    "category": "fraud_accounting",
                    "body": f"benchmark report {i} " * 40,
                    "channel": "web",
                    "language": "en",
                },
            )
            assert r.status_code == 201, r.status_code
            return str(r.json["receipt"])

        def follow(receipt: str) -> None:
            r = app.test_client().post(
                "/api/v1/channel/followup", headers=auth, json={"receipt": receipt}
            )
            assert r.status_code == 200, r.status_code

        with ThreadPoolExecutor(args.threads) as pool:
            start = time.perf_counter()
            got = list(pool.map(submit, range(args.reports)))
            intake_rate = args.reports / (time.perf_counter() - start)
            start = time.perf_counter()
            list(pool.map(follow, got))
            follow_rate = args.reports / (time.perf_counter() - start)

        params = wiring.services(app).context.keyring.receipt_params
        rss_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"database            {url.split(':', 1)[0]}")
        print(
            f"argon2id receipts   ops {params.ops}, {params.mem_bytes // 2**20} MiB: "
            f"{t_argon * 1000:.1f} ms per run (median of 7)"
        )
        print(f"cores, threads      {cores}, {args.threads}")
        print(f"argon2id-bound      {limit:.1f} /s  (cores / one run)")
        print(
            f"intake              {intake_rate:.1f} reports/s    "
            f"= {intake_rate / limit:.2f} of the bound  ({args.reports} reports, 2 grants each)"
        )
        print(
            f"follow-up           {follow_rate:.1f} follow-ups/s = {follow_rate / limit:.2f} "
            "of the bound"
        )
        print(f"peak RSS            {rss_mib:.0f} MiB")
        wiring.services(app).database.dispose()


if __name__ == "__main__":
    main()
