"""The cost of checking handler keys against the signed key directory.

1. On the reporter page in Chromium: real submissions (cheap Argon2, tests' parameters), each
   timing the page's own check (`hotline-key-verify`: fetch the directory, verify every
   entry's Ed25519 and ML-DSA-65 signature and the hash chain, check each recipient).
2. The same for larger directories (more handlers), and the bytes the directory costs on
   the wire.
3. The server's check before sealing (Python), first run and with the verified-entry cache.

    .venv/bin/python bench/key_verify_browser.py [--submissions 15] [--runs 20]
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from playwright.sync_api import Page, sync_playwright
from werkzeug.serving import make_server

from hotline import wiring

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from hotline import create_app, db, migrate
from hotline.key_trust import KeyTrust
from hotline.services import accounts, dates, key_directory, routing
from tests.support import config_for
from tests.support.live_server import serve_test_bundles

ROOT = Path(__file__).resolve().parent.parent
DESKS = ["compliance", "harassment", "audit_committee", "data_protection", "ombudsperson"]


def submit(page: Page, base: str) -> list[float]:
    """One report through the reporter page; the page's own key-check timings."""
    page.goto(f"{base}/report")
    page.select_option("#category", "fraud_accounting")
    page.fill("#what_happened", "benchmark report")
    page.click("#submit-report")
    page.wait_for_selector("#receipt-view", state="visible", timeout=60_000)
    found: list[float] = page.evaluate(
        "performance.getEntriesByName('hotline-key-verify').map(e => e.duration)"
    )
    return found


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--submissions", type=int, default=15)
    parser.add_argument("--runs", type=int, default=5, help="submissions per larger size")
    parser.add_argument("--sizes", default="5,50,200")
    parser.add_argument(
        "--chromium", default=os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    folder = Path(tempfile.mkdtemp(prefix="bench-keys-"))
    url = f"sqlite:///{folder / 'hotline.db'}"
    migrate.upgrade(url)
    app = create_app(
        config_for(
            url, folder / "instance", POW_BITS=8, REPORT_RATE_LIMIT="10000 per minute",
            PAGE_RATE_LIMIT="100000 per minute",
        )
    )  # fmt: skip
    serve_test_bundles(app)  # cheap Argon2id: the browser needs the test build's floors
    made = 0

    def grow(total: int) -> None:
        nonlocal made
        with app.app_context():
            for _ in range(total - made):
                accounts.create_handler(
                    db.session(), wiring.services(app).context,
                    # Beyond one per desk, the rest join a desk fraud reports do not reach:
                    # the recipients stay the same, only the directory grows.
                    f"h{made}", DESKS[made] if made < len(DESKS) else "data_protection",
                    "bench-password-123",
                )  # fmt: skip
                made += 1

    with app.app_context():
        routing.load_policy(db.session(), Path(wiring.settings(app).routing_file))
    sizes = [int(s) for s in args.sizes.split(",")]
    grow(sizes[0])
    server = make_server("127.0.0.1", 0, app, threaded=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    print(f"Chromium: {args.chromium}")
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=args.chromium, args=["--no-sandbox"])
        page = browser.new_page()
        in_page: list[float] = []
        for _ in range(args.submissions):
            in_page += submit(page, base)
        print(
            f"reporter page, {sizes[0]} entries, {len(in_page)} submissions: key check "
            f"p50 {statistics.median(in_page):.1f} ms, p90 {pct(in_page, 0.9):.1f} ms"
        )
        for size in sizes[1:]:
            grow(size)
            times: list[float] = []
            for _ in range(args.runs):
                times += submit(page, base)
            body = page.evaluate(
                "async () => await (await fetch('/.well-known/hotline-keys')).text()"
            )
            raw = body.encode()
            print(
                f"directory of {size:>4} entries: {len(raw) / 1024:7.1f} KiB "
                f"({len(gzip.compress(raw)) / 1024:6.1f} KiB gzip, "
                f"{len(raw) / size / 1024:.2f} KiB per entry); reporter-page check p50 "
                f"{statistics.median(times):7.1f} ms, p90 {pct(times, 0.9):7.1f} ms"
            )
        browser.close()
    with app.app_context():
        session = db.session()
        trust: KeyTrust = wiring.services(app).context.keys
        cold = KeyTrust(root=trust.root)
        start = time.perf_counter()
        key_directory.trusted_entries(session, cold, dates.today())
        first = (time.perf_counter() - start) * 1000
        warm = []
        for _ in range(args.runs):
            start = time.perf_counter()
            key_directory.trusted_entries(session, cold, dates.today())
            warm.append((time.perf_counter() - start) * 1000)
        print(
            f"server check, {made} entries: first {first:.1f} ms, then p50 "
            f"{statistics.median(warm):.1f} ms (verified entries cached per process)"
        )
    sizes_js = {
        name: (ROOT / "web/static/build" / name).stat().st_size
        for name in ("reporter.js", "console.js")
    }
    print(json.dumps({"bundle_bytes": sizes_js}))
    server.shutdown()


if __name__ == "__main__":
    main()
