"""Images cannot take a worker's memory: a huge canvas is refused from its header, before a
pixel is decoded, and re-encoding is bounded by a process-wide semaphore.

Each scenario runs in a fresh worker process so its peak resident memory (ru_maxrss) is its
own: an 8,900 × 8,900 single-colour PNG of about 300 KiB once cost about 1.1 GiB to strip.
"""

from __future__ import annotations

import json
import os
import struct
import subprocess
import sys
import zlib
from pathlib import Path
from typing import Any

from hotline.blobs.images import ImageCleaner

MiB = 1024 * 1024
ROOT = Path(__file__).resolve().parents[2]


def solid_png(width: int, height: int) -> bytes:
    """A single-colour RGB PNG, built row by row so making it takes no memory to speak of."""
    row = b"\x00" + b"\x80\x40\x20" * width
    packer = zlib.compressobj(9)
    idat = b"".join(packer.compress(row) for _ in range(height)) + packer.flush()

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")
    )


WORKER = r"""
import io, json, re, resource, sys, threading
from pathlib import Path

from tests.support.world import build_world

image = Path(sys.argv[1]).read_bytes()
small = Path(sys.argv[1]).with_name("small.png").read_bytes()
folder, threads, config = Path(sys.argv[2]), int(sys.argv[3]), json.loads(sys.argv[4])


def peak() -> int:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024  # KiB on Linux


with build_world("sqlite", folder, **config) as world:

    def post(results: list, image: bytes = image) -> None:
        client = world.app.test_client()
        page = client.get("/report").get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)
        form = {
            "csrf_token": token,
            "category": "fraud_accounting",
            "what_happened": "image memory test",
            "external_only": "0",
            "files": [(io.BytesIO(image), "flat.png", "image/png")],
        }
        r = client.post("/report", data=form, content_type="multipart/form-data")
        results.append((r.status_code, r.get_data(as_text=True)))

    post([], small)  # warm up: the baseline includes a whole request with a small picture
    baseline = peak()
    results: list = []
    workers = [threading.Thread(target=post, args=(results,)) for _ in range(threads)]
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    print(json.dumps({"baseline": baseline, "peak": peak(), "results": results}))
"""


def run_worker(tmp_path: Path, image: bytes, threads: int, **config: object) -> dict[str, Any]:
    """Post `image` from `threads` clients at once to a fresh app in its own process."""
    path = tmp_path / "image.png"
    path.write_bytes(image)
    (tmp_path / "small.png").write_bytes(solid_png(64, 64))
    done = subprocess.run(
        [sys.executable, "-c", WORKER, str(path), str(tmp_path), str(threads), json.dumps(config)],
        capture_output=True,
        text=True,
        timeout=600,
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert done.returncode == 0, done.stderr[-3000:]
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def test_huge_canvas_is_refused_before_decoding(tmp_path: Path) -> None:
    bomb = solid_png(8_900, 8_900)
    assert len(bomb) < 400 * 1024  # small on the wire, 79 megapixels declared
    seen = run_worker(tmp_path, bomb, threads=3)
    grown = (seen["peak"] - seen["baseline"]) / MiB
    for status, text in seen["results"]:
        assert status == 413, text[:300]
        assert "too large" in text and "megapixels" in text and "Traceback" not in text
    # Decoding even one of them takes over 300 MiB; three at once took over 3 GiB.
    assert grown < 48, f"the worker grew by {grown:.0f} MiB"


def test_reencoding_waits_its_turn(tmp_path: Path) -> None:
    photo = solid_png(5_000, 4_000)  # 20 megapixels: accepted, 80 MB per decoded copy
    limits = {"IMAGE_MAX_PIXELS": 20_000_000, "IMAGE_CONCURRENCY": 1}
    seen = run_worker(tmp_path, photo, threads=3, **limits)
    assert [status for status, _ in seen["results"]] == [201, 201, 201]
    # The stated ceiling for decoded images (one at a time, two copies of 4 bytes a pixel),
    # plus the encoder's and the request's buffers. Three at once measured about 400 MiB.
    ceiling = ImageCleaner(20_000_000, 1).ceiling_bytes
    grown = seen["peak"] - seen["baseline"]
    assert grown < ceiling + 96 * MiB, f"the worker grew by {grown / MiB:.0f} MiB"
