"""The host's Argon2id pool served from a thread of the test process, on a real socket."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from crypto.argon2_pool import Pool


@contextmanager
def running_pool(path: Path, slots: int = 2) -> Iterator[Pool]:
    pool = Pool(path, slots)
    thread = threading.Thread(target=pool.serve_forever, kwargs={"poll_interval": 0.05})
    thread.start()
    try:
        yield pool
    finally:
        pool.shutdown()
        thread.join()
        pool.server_close()
