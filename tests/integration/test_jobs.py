"""Jobs on RQ: a failing Twilio deletion is retried with the backoff and given up once; a
job that keeps failing is retried, then recorded failed once; a purge run twice purges
once; two schedulers fire each period once."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
import redis
from rq import SimpleWorker
from rq.registry import FailedJobRegistry
from sqlalchemy import func, select, update

from hotline import db, wiring
from hotline.jobs import queue as jobs_queue
from hotline.jobs.scheduler import Scheduler
from hotline.jobs.tasks import SCHEDULE
from hotline.models import AuditEvent, Case, CaseStatus, TwilioDeletion
from hotline.services import dates
from integrations.twilio.deletion import TwilioCleaner
from tests.integration.test_sms_lifetimes import FailingHttpClient
from tests.support import REDIS_URL
from tests.support.sms import ACCOUNT_SID, AUTH_TOKEN
from tests.support.world import World, build_world

pytestmark = pytest.mark.postgres


@pytest.fixture
def jobs_world(tmp_path: Path) -> Iterator[World]:
    prefix = f"hotline-test-{secrets.token_hex(6)}:"
    with build_world(
        "postgresql",
        tmp_path,
        REDIS_URL=REDIS_URL,
        REDIS_PREFIX=prefix,
        RATELIMIT_KEY_PREFIX=prefix + "limits",
        JOBS_QUEUE=prefix + "jobs",
        JOB_RETRY_INTERVALS="0,0,0",
        TWILIO_DELETE_ATTEMPTS=4,
        TWILIO_AUTH_TOKEN=AUTH_TOKEN,
        TWILIO_ACCOUNT_SID=ACCOUNT_SID,
    ) as world:
        jobs_queue.use_app(world.app)
        yield world
    connection = redis.Redis.from_url(REDIS_URL)
    for key in connection.scan_iter(f"*{prefix}*"):
        connection.delete(key)


def drain(world: World) -> None:
    q = jobs_queue.queue(world.app)
    SimpleWorker([q], connection=q.connection).work(burst=True, with_scheduler=False)


def test_failing_deletion_is_retried_then_given_up_once(jobs_world: World) -> None:
    world = jobs_world
    http = FailingHttpClient()
    wiring.services(world.app).twilio_cleaner = TwilioCleaner(
        ACCOUNT_SID, AUTH_TOKEN, http_client=http
    )
    pepper = wiring.services(world.app).context.keyring.pepper
    with world.app.app_context():
        db.session().add(
            TwilioDeletion(
                sealed_sid=pepper.wrap("twilio-sid", b"SM" + b"a" * 32), day=dates.today()
            )
        )
        db.session().commit()
    job = jobs_queue.enqueue(world.app, "twilio-deletions")
    drain(world)
    assert len(http.deleted()) == 4  # the first run and three retries, one attempt each
    with world.app.app_context():
        assert db.session().scalar(select(func.count()).select_from(TwilioDeletion)) == 0
    assert world.logs.text.count("sms.twilio_delete_gave_up") == 1
    job.refresh()
    assert job.get_status() == "finished"
    jobs_queue.enqueue(world.app, "twilio-deletions")
    drain(world)
    assert len(http.deleted()) == 4 and world.logs.text.count("sms.twilio_delete_gave_up") == 1


def test_a_job_that_keeps_failing_is_retried_then_failed_once(
    jobs_world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    world = jobs_world
    runs: list[int] = []

    def database_down(_app: object) -> dict[str, int]:
        runs.append(1)
        raise ConnectionError("database unreachable")

    monkeypatch.setitem(SCHEDULE, "escalations", (database_down, 3600))
    jobs_queue.enqueue(world.app, "escalations")
    drain(world)
    assert len(runs) == 4  # the first run and three retries
    assert world.logs.text.count("job.failed") == 4
    assert FailedJobRegistry(queue=jobs_queue.queue(world.app)).count == 1
    assert jobs_queue.status(world.app).failed_by_job == {"escalations": 1}


def test_purge_job_run_twice_purges_once(jobs_world: World) -> None:
    world = jobs_world
    client = world.app.test_client()
    created = client.post(
        "/api/v1/channel/reports",
        headers=world.auth(),
        json={"category": "other", "body": "old matter", "channel": "web", "language": "en"},
    )
    assert created.status_code == 201
    long_ago = dates.today() - timedelta(days=400)
    with world.app.app_context():
        db.session().execute(
            update(Case).values(
                status=CaseStatus.CLOSED, closed_on=long_ago, purge_warned_on=long_ago
            )
        )
        db.session().commit()
    first = jobs_queue.enqueue(world.app, "retention")
    drain(world)
    second = jobs_queue.enqueue(world.app, "retention")
    drain(world)
    assert first.return_value()["purged"] == 1 and second.return_value()["purged"] == 0
    with world.app.app_context():
        session = db.session()
        assert session.scalar(select(func.count()).select_from(Case)) == 0
        purged = session.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "purged")
        )
        assert purged == 1
    results = [
        j.return_value()
        for j in jobs_queue.queue(world.app).finished_job_registry.get_job_ids() and []
    ]
    assert results == []


def test_two_schedulers_fire_each_period_once(jobs_world: World) -> None:
    world = jobs_world
    fired: list[tuple[str, str]] = []
    connection = jobs_queue.connection(world.app)
    prefix = wiring.settings(world.app).redis_prefix
    first = Scheduler(connection, prefix, lambda name, job_id: fired.append((name, job_id)))
    second = Scheduler(connection, prefix, lambda name, job_id: fired.append((name, job_id)))
    at = 1_000_000_200.0  # a multiple of 600: +301 s crosses only the 300-second period
    assert sorted(first.tick(at)) == sorted(SCHEDULE) and second.tick(at) == []
    assert first.tick(at + 1) == []  # same periods: nothing twice
    connection.delete(prefix + "jobs:leader")  # the leader died; the standby takes over
    assert second.tick(at + 2) == []  # still the same periods
    assert "sms-purge" in second.tick(at + 301)
    assert len(fired) == len(set(fired)) == len(SCHEDULE) + 1


def test_status_shows_queue_failures_scheduler_and_next_runs(jobs_world: World) -> None:
    runner = jobs_world.app.test_cli_runner()
    before = runner.invoke(args=["jobs", "status"])
    assert before.exit_code == 0, before.output
    assert "0 queued" in before.output and "scheduler: NOT RUNNING" in before.output
    assert all(name in before.output for name in SCHEDULE)
    assert runner.invoke(args=["jobs", "run", "sms-purge", "--queue"]).exit_code == 0
    assert "1 queued" in runner.invoke(args=["jobs", "status"]).output
    ran = runner.invoke(args=["jobs", "run", "escalations"])
    assert ran.exit_code == 0 and "escalated 0" in ran.output
