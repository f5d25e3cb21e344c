"""The handler console's case list and the admin statistics at 1k-100k cases.

Seeds N cases with realistic metadata (two years of reports, most old ones closed, a
backlog of open and overdue ones; ciphertext-sized random payloads) by bulk insert with
SQLAlchemy Core into a temporary SQLite database (or --database-url, which must be empty),
one handler holding a grant to every case and two colleagues holding grants to some. Then
times hotline.services.console.list_cases, each run in a fresh session as a request would:
the first page, a page halfway down the cursor chain, and filtered pages (status, overdue,
category); and hotline.services.stats.compute. Prints median and p95 in milliseconds.

    .venv/bin/python bench/case_list.py [--cases 1000 10000 100000] [--runs 30]
                                        [--database-url URL] [--explain]
"""

from __future__ import annotations

import argparse
import os
import random
import secrets
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from sqlalchemy import Engine, and_, func, insert, select, text
from sqlalchemy.orm import Session

from hotline import migrate
from hotline.db import make_engine
from hotline.models import Case, CaseGrant, CaseStatus, Channel, Handler
from hotline.services import console, dates, retention, routing, stats

CATEGORIES = [  # (slug, weight)
    ("fraud_accounting", 18),
    ("bribery_corruption", 6),
    ("harassment", 30),
    ("discrimination", 10),
    ("personal_information", 12),
    ("safety_environment", 9),
    ("executive_misconduct", 4),
    ("other", 11),
]
CHANNELS = [(Channel.WEB, 60), (Channel.CHAT, 25), (Channel.SMS, 15)]
OPEN_STATUSES = [
    (CaseStatus.RECEIVED, 15),
    (CaseStatus.ACKNOWLEDGED, 25),
    (CaseStatus.ASSESSING, 30),
    (CaseStatus.INVESTIGATING, 30),
]
REPORT_BYTES = 1024 + 24 + 16  # the smallest padding bucket, sealed
GRANT_BYTES = 1192
BATCH = 5000
FAR = date(9999, 12, 31)


def pick(rng: random.Random, weighted: list[tuple[Any, int]]) -> Any:
    return rng.choices([v for v, _ in weighted], [w for _, w in weighted])[0]


def case_rows(n: int, today: date, rng: random.Random) -> Iterator[dict[str, Any]]:
    for i in range(n):
        received = today - timedelta(days=int(rng.random() ** 1.3 * 730))
        age = (today - received).days
        closed = age > 45 and rng.random() < min(0.95, age / 200)
        status = CaseStatus.CLOSED if closed else pick(rng, OPEN_STATUSES)
        ack_by = received + timedelta(days=7)
        acknowledged = None
        if status != CaseStatus.RECEIVED:
            acknowledged = min(today, received + timedelta(days=rng.randint(0, 10)))
        feedback_by = dates.feedback_by(received, acknowledged, 7, 3)
        closed_on = None
        if closed:
            assert acknowledged is not None
            closed_on = min(today, acknowledged + timedelta(days=rng.randint(10, 150)))
        next_deadline = (
            None if closed else (ack_by if status == CaseStatus.RECEIVED else feedback_by)
        )
        yield {
            "id": f"HL-{i:010d}",
            "category": pick(rng, CATEGORIES),
            "channel": pick(rng, CHANNELS),
            "language": "ja" if rng.random() < 0.6 else "en",
            "status": status,
            "outcome": "unsubstantiated" if closed else None,
            "external_only": rng.random() < 0.05,
            "involves_executive": rng.random() < 0.04,
            "received_on": received,
            "acknowledge_by": ack_by,
            "acknowledged_on": acknowledged,
            "feedback_by": feedback_by,
            "closed_on": closed_on,
            "next_deadline": next_deadline,
            "escalated_on": None,
            "purge_warned_on": None,
            "sealed_report": os.urandom(REPORT_BYTES),
            "lookup_tag": secrets.token_bytes(32),
            "reporter_wrapped_key": os.urandom(24 + 16 + 32 + 24 + 16),
            "idempotency_tag": None,
            "idempotent_receipt": None,
        }


def handler_row(username: str, desk_id: int, today: date) -> dict[str, Any]:
    return {
        "username": username,
        "display_name": username,
        "role": "bench",
        "desk_id": desk_id,
        "active": True,
        "is_admin": False,
        "email": "",
        "x25519_public": os.urandom(32),
        "mlkem_public": os.urandom(1184),
        "kdf_salt": os.urandom(16),
        "kdf_ops": 3,
        "kdf_mem": 256 * 1024 * 1024,
        "login_verifier": os.urandom(32),
        "wrapped_private": os.urandom(200),
        "recovery_wrapped_private": os.urandom(200),
        "recovery_verifier": None,
        "totp_wrapped": None,
        "created_on": today,
        "last_digest_on": None,
    }


def seed(engine: Engine, n: int, today: date) -> int:
    """Insert n cases; return the id of the handler who holds every case."""
    rng = random.Random(20250101 + n)
    with Session(engine) as session:
        routing.load_policy(session, Path(routing.__file__).parent.parent / "data" / "routing.json")
        desk_id = session.execute(text("SELECT id FROM desks WHERE slug = 'compliance'")).scalar()
        ids = []
        for username in ("bench.all", "bench.some", "bench.few"):
            ids.append(
                session.execute(
                    insert(Handler.__table__).returning(Handler.__table__.c.id),
                    handler_row(username, int(desk_id or 0), today),
                ).scalar_one()
            )
        session.commit()
        batch: list[dict[str, Any]] = []
        grants: list[dict[str, Any]] = []

        def flush() -> None:
            if batch:
                session.execute(insert(Case.__table__), batch)
            if grants:
                session.execute(insert(CaseGrant.__table__), grants)
            session.commit()
            batch.clear()
            grants.clear()

        for row in case_rows(n, today, rng):
            batch.append(row)
            holders = [(ids[0], True)]
            if rng.random() < 0.6:
                holders.append((ids[1], True))
            if rng.random() < 0.3:
                holders.append((ids[2], rng.random() < 0.5))
            for handler_id, released in holders:
                grants.append(
                    {
                        "case_id": row["id"],
                        "handler_id": handler_id,
                        "sealed_keys": os.urandom(GRANT_BYTES),
                        "released": released,
                        "granted_on": row["received_on"],
                    }
                )
            if len(batch) >= BATCH:
                flush()
        flush()
    # Planner statistics as a running database has them: PostgreSQL's autovacuum, and on
    # SQLite the bounded ANALYZE that `flask cases purge` runs daily.
    if engine.dialect.name == "postgresql":
        with engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE"))
    else:
        with Session(engine) as session:
            retention.refresh_planner_statistics(session)
    return ids[0]


def clear(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in ("case_grants", "cases", "handlers", "category_desks", "categories"):
            conn.execute(text(f"DELETE FROM {table}"))
        conn.execute(text("UPDATE desks SET escalation_desk_id = NULL"))
        conn.execute(text("DELETE FROM desks"))


def timed(engine: Engine, runs: int, work: Callable[[Session], object]) -> tuple[float, float]:
    samples = []
    for i in range(runs + 2):
        with Session(engine) as session:
            start = time.perf_counter()
            work(session)
            elapsed = (time.perf_counter() - start) * 1000
        if i >= 2:  # the first two warm the caches
            samples.append(elapsed)
    samples.sort()
    p95 = samples[min(len(samples) - 1, round(0.95 * (len(samples) - 1)))]
    return statistics.median(samples), p95


def deep_cursor(engine: Engine, handler_id: int, position: int) -> str:
    deadline = func.coalesce(Case.next_deadline, FAR)
    with Session(engine) as session:
        row = session.execute(
            select(Case.next_deadline, Case.id)
            .join(
                CaseGrant,
                and_(
                    CaseGrant.case_id == Case.id,
                    CaseGrant.handler_id == handler_id,
                    CaseGrant.released.is_(True),
                ),
            )
            .order_by(deadline, Case.id)
            .offset(position)
            .limit(1)
        ).one()
    return f"{(row[0] or FAR).isoformat()}|{row[1]}"


def explain(engine: Engine, handler_id: int, filters: console.Filters) -> None:
    """Print the plans of the list's queries (echoing SQL while running it once)."""
    statements: list[str] = []

    from sqlalchemy import event

    def capture(conn: Any, cursor: Any, statement: str, params: Any, *_: Any) -> None:
        statements.append((statement, params))  # type: ignore[arg-type]

    event.listen(engine, "before_cursor_execute", capture)
    with Session(engine) as session:
        console.list_cases(session, handler_id, filters)
    event.remove(engine, "before_cursor_execute", capture)
    prefix = "EXPLAIN QUERY PLAN " if engine.dialect.name == "sqlite" else "EXPLAIN "
    with engine.connect() as conn:
        for statement, params in statements:  # type: ignore[misc]
            print("   ", " ".join(statement.split())[:160])
            for row in conn.exec_driver_sql(prefix + statement, params):
                print("       ", " | ".join(str(c) for c in row))


@contextmanager
def database(url: str | None, tmp: str, n: int) -> Iterator[Engine]:
    target = url or f"sqlite:///{tmp}/bench-{n}.db"
    migrate.upgrade(target)
    engine = make_engine(target)
    with engine.connect() as conn:
        if conn.execute(text("SELECT count(*) FROM cases")).scalar():
            raise SystemExit(f"{target}: the database has cases already; give an empty one")
    try:
        yield engine
    finally:
        if url:
            clear(engine)
        engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, nargs="+", default=[100_000])
    parser.add_argument("--runs", type=int, default=30)
    parser.add_argument("--database-url", default=None)
    parser.add_argument("--explain", action="store_true", help="print query plans too")
    args = parser.parse_args()
    today = dates.today()
    with tempfile.TemporaryDirectory() as tmp:
        for n in args.cases:
            with database(args.database_url, tmp, n) as engine:
                start = time.perf_counter()
                handler_id = seed(engine, n, today)
                seeded = time.perf_counter() - start
                deep = deep_cursor(engine, handler_id, n // 2)
                scenarios: list[tuple[str, console.Filters, str | None]] = [
                    ("first page", console.Filters(), None),
                    (f"page at case {n // 2:,}", console.Filters(), deep),
                    ("status=investigating", console.Filters(status="investigating"), None),
                    ("status=received", console.Filters(status="received"), None),
                    ("overdue only", console.Filters(overdue_only=True), None),
                    ("category=harassment", console.Filters(category="harassment"), None),
                    ("closed (last pages)", console.Filters(status="closed"), None),
                ]
                print(
                    f"\n{n:,} cases ({engine.dialect.name}), seeded in {seeded:.1f} s; "
                    f"{args.runs} runs each, 50 rows a page"
                )
                print(f"  {'query':28} {'median ms':>10} {'p95 ms':>10}  rows  total")
                for label, filters, cursor in scenarios:
                    page = [console.CasePage([], None, 0)]

                    def work(
                        session: Session,
                        f: console.Filters = filters,
                        c: str | None = cursor,
                        out: list[Any] = page,
                        who: int = handler_id,
                    ) -> object:
                        out[0] = console.list_cases(session, who, f, c)
                        return out[0]

                    median, p95 = timed(engine, args.runs, work)
                    got = page[0]
                    print(
                        f"  {label:28} {median:10.1f} {p95:10.1f}  {len(got.rows):4}  {got.total:,}"
                    )
                    if args.explain:
                        explain(engine, handler_id, filters)
                median, p95 = timed(engine, args.runs, lambda s: stats.compute(s, today))
                print(f"  {'admin statistics':28} {median:10.1f} {p95:10.1f}")


if __name__ == "__main__":
    main()
