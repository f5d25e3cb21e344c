"""`flask jobs ...`: the RQ worker, the one scheduler, the status, a job run by hand."""

from __future__ import annotations

import signal
import threading
import time
from datetime import UTC, datetime

import click
from flask import Flask, current_app
from flask.cli import AppGroup

from hotline import wiring
from hotline.jobs.scheduler import Scheduler
from hotline.jobs.tasks import SCHEDULE, JobIncomplete

jobs_group = AppGroup("jobs", help="Background jobs on RQ (Redis); cron runs them without it.")


def _app() -> Flask:
    app: Flask = current_app._get_current_object()  # type: ignore[attr-defined]
    return app


def make_scheduler(app: Flask) -> Scheduler:
    from hotline.jobs import queue as jobs_queue  # RQ: not in web workers

    return Scheduler(
        jobs_queue.connection(app),
        wiring.settings(app).redis_prefix,
        lambda name, job_id: jobs_queue.enqueue(app, name, job_id),
    )


@jobs_group.command("worker")
@click.option("--burst", is_flag=True, help="Stop when the queue is empty.")
def worker(burst: bool) -> None:
    """Run queued jobs (with retries and their backoff) until stopped."""
    from hotline.jobs import queue as jobs_queue  # RQ: not in web workers

    jobs_queue.work(_app(), burst=burst)


@jobs_group.command("scheduler")
def scheduler() -> None:
    """Fire each periodic job once per period. Run one; a second one only stands by."""
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    make_scheduler(_app()).run_forever(stop)


@jobs_group.command("run")
@click.argument("name", type=click.Choice(sorted(SCHEDULE)))
@click.option("--queue", "queued", is_flag=True, help="Enqueue it instead of running it here.")
def run(name: str, queued: bool) -> None:
    """Run one job now (the cron fallback without Redis), or enqueue it."""
    from hotline.jobs import queue as jobs_queue  # RQ: not in web workers

    if queued:
        job = jobs_queue.enqueue(_app(), name)
        click.echo(f"enqueued {name} ({job.id})")
        return
    jobs_queue.use_app(_app())
    try:
        result = jobs_queue.perform(name)
    except JobIncomplete as error:
        raise click.ClickException(f"{name}: {error}; the next run tries again") from None
    click.echo(name + ": " + ", ".join(f"{k} {v}" for k, v in result.items()))


@jobs_group.command("status")
def status() -> None:
    """Queue depth, failures by job, the scheduler and each job's next run."""
    from hotline.jobs import queue as jobs_queue  # RQ: not in web workers

    app = _app()
    state = jobs_queue.status(app)
    click.echo(
        f"queue {wiring.settings(app).jobs_queue}: {state.queued} queued, {state.started} running, "
        f"{state.scheduled} waiting to retry, {state.failed} failed"
    )
    for name, count in sorted(state.failed_by_job.items()):
        click.echo(f"  failed {name}: {count}")
    sched = make_scheduler(app)
    click.echo("scheduler: " + ("running" if sched.leader_alive() else "NOT RUNNING"))
    now = time.time()
    for item in sched.next_runs(now):
        when = datetime.fromtimestamp(item.next_at, UTC).strftime("%Y-%m-%d %H:%M UTC")
        last = "never" if item.last_period_fired is None else "this period"
        if item.last_period_fired is not None and item.last_period_fired < int(
            now // item.interval
        ):
            last = "an earlier period"
        click.echo(f"  {item.name:17} every {item.interval:>6} s, next {when}, fired {last}")
