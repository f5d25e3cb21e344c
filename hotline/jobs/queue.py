"""RQ plumbing: enqueue with retries and backoff, the worker's entry point, the status.

A job carries only its name; its result only counts. Failed jobs keep RQ's traceback for
`JOB_FAILURE_TTL_SECONDS` (exception texts of our services carry no content).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import UTC, datetime

import redis
from flask import Flask
from rq import Queue, Retry, Worker
from rq.job import Job
from rq.registry import FailedJobRegistry, ScheduledJobRegistry, StartedJobRegistry

from hotline import wiring
from hotline.jobs.tasks import SCHEDULE

log = logging.getLogger("hotline.jobs")
_APP: Flask | None = None


def use_app(app: Flask) -> None:
    """The app whose configuration and services the jobs of this process use."""
    global _APP
    _APP = app


def _app() -> Flask:
    if _APP is None:
        raise RuntimeError("no app for jobs: start workers with `flask jobs worker`")
    return _APP


def perform(name: str) -> dict[str, int]:
    """The RQ job function: run one named task inside the app's context."""
    app = _app()
    task, _interval = SCHEDULE[name]
    with app.app_context():
        try:
            result = task(app)
        except Exception as error:
            log.warning("job.failed", extra={"kind": f"{name}:{type(error).__name__}"})
            raise
    log.info("job.done", extra={"kind": name})
    return result


def connection(app: Flask) -> redis.Redis:
    url = wiring.settings(app).redis_url
    if not url:
        raise RuntimeError("jobs need HOTLINE_REDIS_URL; without Redis run them from cron")
    return redis.Redis.from_url(url)


def queue(app: Flask) -> Queue:
    return Queue(wiring.settings(app).jobs_queue, connection=connection(app))


def retry_policy(app: Flask) -> Retry:
    intervals = list(wiring.settings(app).job_retry_intervals)
    return Retry(max=max(1, len(intervals)), interval=intervals or [0])


def enqueue(app: Flask, name: str, job_id: str | None = None) -> Job:
    if name not in SCHEDULE:
        raise KeyError(name)
    return queue(app).enqueue(
        perform,
        name,
        job_id=job_id,
        retry=retry_policy(app),
        result_ttl=3600,
        failure_ttl=wiring.settings(app).job_failure_ttl_seconds,
        job_timeout=1800,
        description=name,
    )


def work(app: Flask, burst: bool = False) -> bool:
    use_app(app)
    worker = Worker([queue(app)], connection=connection(app))
    return bool(worker.work(burst=burst, with_scheduler=True, logging_level="WARNING"))


@dataclass(frozen=True)
class QueueStatus:
    queued: int
    started: int
    scheduled: int
    failed: int
    failed_by_job: dict[str, int]


def status(app: Flask) -> QueueStatus:
    q = queue(app)
    failed = FailedJobRegistry(queue=q)
    by_job: dict[str, int] = {}
    for job in Job.fetch_many(failed.get_job_ids(), connection=q.connection):
        if job is not None:
            by_job[job.description or "?"] = by_job.get(job.description or "?", 0) + 1
    return QueueStatus(
        queued=q.count,
        started=StartedJobRegistry(queue=q).count,
        scheduled=ScheduledJobRegistry(queue=q).count,  # type: ignore[no-untyped-call]
        failed=failed.count,
        failed_by_job=by_job,
    )


def now() -> datetime:
    return datetime.now(UTC)
