"""Argon2id in the browser (libsodium WebAssembly in Debian's Chromium) with production costs.

Loads the real bundle from a local page and times deriveReceipt (ops 3, 64 MiB) and the
handler password derivation (ops 3, 256 MiB), beside the same work natively in PyNaCl.

    .venv/bin/python bench/browser_argon2.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import threading
import time
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from playwright.sync_api import sync_playwright

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from crypto import handler_keys, receipts
from crypto.primitives import Argon2Params

# The test bundle of the browser crypto (`npm --prefix web run build` makes it; never served).
STATIC = Path(__file__).resolve().parent.parent / "web" / "build"
PAGE = b"<!doctype html><title>bench</title>"
RECEIPT = Argon2Params(3, 64 * 1024 * 1024)
PASSWORD = Argon2Params(3, 256 * 1024 * 1024)


class Handler(SimpleHTTPRequestHandler):
    def do_GET(self) -> None:
        if self.path == "/":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.end_headers()
            self.wfile.write(PAGE)
            return
        super().do_GET()

    def log_message(self, *_args: object) -> None:
        pass


def native(runs: int) -> tuple[list[float], list[float]]:
    salt = os.urandom(16)
    r, p = [], []
    for _ in range(runs):
        start = time.perf_counter()
        receipts.derive(receipts.generate(), salt, RECEIPT)
        r.append((time.perf_counter() - start) * 1000)
        start = time.perf_counter()
        handler_keys.password_secrets("correct horse battery staple", salt, PASSWORD)
        p.append((time.perf_counter() - start) * 1000)
    return r, p


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument(
        "--chromium", default=os.environ.get("HOTLINE_TEST_CHROMIUM", "/usr/bin/chromium")
    )
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(Handler, directory=str(STATIC)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    script = f"""async () => {{
      const hc = await import('/test/hotline-crypto.js');
      await hc.ready();
      const salt = hc.randomBytes(16), r = [], p = [];
      for (let i = 0; i < {args.runs}; i++) {{
        let t = performance.now();
        hc.deriveReceipt(hc.generateReceipt(), salt, {{ops: 3, memBytes: 64 * 1024 * 1024}});
        r.push(performance.now() - t);
        t = performance.now();
        hc.passwordSecrets('correct horse battery staple', salt,
                           {{ops: 3, memBytes: 256 * 1024 * 1024}});
        p.push(performance.now() - t);
      }}
      return [r, p];
    }}"""
    with sync_playwright() as pw:
        browser = pw.chromium.launch(
            executable_path=args.chromium,
            args=[
                "--no-sandbox",
                "--disable-gpu",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--no-first-run",
            ],
        )
        page = browser.new_page()
        page.goto(f"http://127.0.0.1:{server.server_port}/")
        browser_r, browser_p = page.evaluate(script)
        browser.close()
    server.shutdown()
    native_r, native_p = native(args.runs)
    print(f"runs {args.runs}; milliseconds, median (min-max)")
    for label, b, n in (
        ("receipt  ops 3, 64 MiB ", browser_r, native_r),
        ("password ops 3, 256 MiB", browser_p, native_p),
    ):
        print(
            f"{label}  Chromium WASM {statistics.median(b):7.0f} ({min(b):.0f}-{max(b):.0f})"
            f"   native PyNaCl {statistics.median(n):6.0f} ({min(n):.0f}-{max(n):.0f})"
            f"   ratio {statistics.median(b) / statistics.median(n):.1f}x"
        )


if __name__ == "__main__":
    main()
