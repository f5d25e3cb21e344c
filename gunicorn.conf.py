"""gunicorn settings for production (`gunicorn -c gunicorn.conf.py wsgi:app`).

Every value comes from the environment with a default fit for this 2-core reference
machine; see docs/operations.md. Several workers need the shared store (HOTLINE_REDIS_URL):
without it SMS drafts, proof-of-work spends and throttles live in one process, so this file
refuses to start more than one worker.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from prometheus_client import multiprocess


def _int(name: str, default: int) -> int:
    raw = os.environ.get(name, "")
    return int(raw) if raw.strip() else default


bind = os.environ.get("HOTLINE_BIND", "127.0.0.1:8000")
workers = _int("HOTLINE_WORKERS", 2)
threads = _int("HOTLINE_THREADS", 1)
worker_class = "gthread" if threads > 1 else "sync"
# Argon2id at 64 MiB takes ~0.1 s; a request that needs 30 s is stuck, not slow.
timeout = _int("HOTLINE_WORKER_TIMEOUT", 30)
graceful_timeout = _int("HOTLINE_GRACEFUL_TIMEOUT", 30)  # finish in-flight requests on TERM
keepalive = _int("HOTLINE_KEEPALIVE", 5)
# Recycle workers now and then (bounded memory growth), never all at once.
max_requests = _int("HOTLINE_MAX_REQUESTS", 5000)
max_requests_jitter = _int("HOTLINE_MAX_REQUESTS_JITTER", 500)
# Requests larger than this are refused before the app sees them.
limit_request_line = 4094
limit_request_fields = 100
# No access log: it would pair client addresses with times. The error log goes to stderr,
# with addresses and request lines withheld.
accesslog = None
errorlog = "-"
loglevel = os.environ.get("HOTLINE_GUNICORN_LOG_LEVEL", "warning")
logger_class = "hotline.gunicorn_logging.AddressFreeLogger"
# The metrics folder must exist before gunicorn imports that class: importing the `hotline`
# package defines the app's metrics, whose multiprocess files go there (systemd's
# RuntimeDirectory makes only the parent). Stale files are cleared in on_starting.
if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
    Path(os.environ["PROMETHEUS_MULTIPROC_DIR"]).mkdir(parents=True, exist_ok=True)
proc_name = "hotline"
# No shared control socket in the home folder: several instances run side by side.
control_socket_disable = True
# Load the app in each worker (not in the master): every worker opens its own database
# pool and Redis connections, and the metrics' multiprocess directory is per-run.
preload_app = False


def check_shape(worker_count: int) -> None:
    if worker_count > 1 and not os.environ.get("HOTLINE_REDIS_URL"):
        raise RuntimeError(
            "more than one gunicorn worker needs HOTLINE_REDIS_URL: without it SMS drafts, "
            "proof-of-work spends and throttles live in one process (set HOTLINE_WORKERS=1)"
        )


def on_starting(server: Any) -> None:
    """After the command line is applied (it may override `workers`). A new run starts
    with an empty metrics folder (multiprocess mode keeps one file per worker there)."""
    check_shape(int(getattr(getattr(server, "cfg", None), "workers", workers)))
    if sys.flags.optimize < 2:
        server.log.warning(
            "workers keep docstrings (about 7 MiB each): start gunicorn as "
            "`python -OO -m gunicorn -c gunicorn.conf.py wsgi:app` (hotline/serving.py)"
        )
    folder = os.environ.get("PROMETHEUS_MULTIPROC_DIR")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        for stale in Path(folder).glob("*.db"):
            stale.unlink()


def child_exit(server: object, worker: object) -> None:
    """A worker that ended leaves its metrics files behind: mark them dead (multiprocess)."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        multiprocess.mark_process_dead(getattr(worker, "pid", 0))
