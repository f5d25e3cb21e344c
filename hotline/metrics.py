"""Prometheus metrics with no identifying labels, on a loopback-only endpoint.

Labels are only the view's name (a fixed set), the status code and the channel kind; never
a path with values, a case id, a receipt, a pseudonym, a category or anything a request
carried. `/metrics` answers only a direct loopback peer with no X-Forwarded-For (so never
through the load balancer); anyone else gets 404. Under gunicorn set
PROMETHEUS_MULTIPROC_DIR (an empty folder per run) and every worker's counts are summed.
"""

from __future__ import annotations

import ipaddress
import os
import time
from typing import Any

from flask import Flask, Response, g, request
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from hotline import argon2_gate, wiring

SUBMISSIONS = {
    "web_api.sealed_report": "web_sealed",
    "reporter.report_submit": "web_form",
    "api.channel_report": "channel_api",
}
FOLLOWUPS = {
    "web_api.sealed_followup_open": "web_sealed",
    "web_api.sealed_followup_message": "web_sealed",
    "reporter.followup_open": "web_form",
    "reporter.followup_reply": "web_form",
    "api.channel_followup": "channel_api",
    "api.channel_followup_message": "channel_api",
}

REQUESTS = Counter("hotline_requests", "Requests answered", ["endpoint", "status"])
LATENCY = Histogram(
    "hotline_request_seconds",
    "Time to answer",
    ["endpoint"],
    buckets=(0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30),
)
SUBMITTED = Counter("hotline_submissions", "Reports accepted", ["channel"])
FOLLOWED = Counter("hotline_followups", "Follow-ups answered", ["channel"])
REFUSED = Counter("hotline_rate_limited", "Requests refused by a rate limit", ["endpoint"])
SMS = Counter("hotline_sms_messages", "Signed SMS webhooks handled")
ARGON2_WAIT = Histogram(
    "hotline_argon2_wait_seconds",
    "Time an Argon2id run waited for a slot (in the host's pool, or in its worker)",
    buckets=(0.0, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
ARGON2_FALLBACKS = Counter(
    "hotline_argon2_pool_fallbacks",
    "Argon2id runs made in the worker because the host's pool could not be reached",
)


class QueueCollector(Collector):
    """Queue depth and failed jobs, read from Redis at scrape time (when jobs run on RQ)."""

    def __init__(self, app: Flask) -> None:
        self._app = app

    def collect(self) -> Any:
        depth = GaugeMetricFamily("hotline_jobs", "Jobs by state", labels=["state"])
        try:
            from hotline.jobs import queue as jobs_queue  # RQ only when scraped

            state = jobs_queue.status(self._app)
        except Exception:  # no Redis, or it is restarting: report nothing rather than fail
            return
        for name, value in (
            ("queued", state.queued),
            ("running", state.started),
            ("retrying", state.scheduled),
            ("failed", state.failed),
        ):
            depth.add_metric([name], value)
        yield depth


def _loopback_peer() -> bool:
    original = request.environ.get("werkzeug.proxy_fix.orig", {})
    peer = original.get("REMOTE_ADDR") or request.environ.get("REMOTE_ADDR", "")
    if request.headers.get("X-Forwarded-For") or original.get("HTTP_X_FORWARDED_FOR"):
        return False
    try:
        return ipaddress.ip_address(peer).is_loopback
    except ValueError:
        return False


def register(app: Flask) -> None:
    argon2_gate.observe_waits(ARGON2_WAIT.observe)
    argon2_gate.observe_fallbacks(ARGON2_FALLBACKS.inc)
    queues = QueueCollector(app) if wiring.settings(app).redis_url else None

    @app.before_request
    def _started() -> None:
        g.metrics_started = time.perf_counter()

    @app.after_request
    def _count(response: Response) -> Response:
        endpoint = request.endpoint or "unmatched"
        if endpoint == "metrics":
            return response
        status = response.status_code
        REQUESTS.labels(endpoint, str(status)).inc()
        started = g.get("metrics_started")
        if started is not None:
            LATENCY.labels(endpoint).observe(time.perf_counter() - started)
        if status == 429:
            REFUSED.labels(endpoint).inc()
        elif endpoint in SUBMISSIONS and status == 201:
            SUBMITTED.labels(SUBMISSIONS[endpoint]).inc()
        elif endpoint in FOLLOWUPS and status in (200, 201):
            FOLLOWED.labels(FOLLOWUPS[endpoint]).inc()
        elif endpoint == "sms.inbound" and status == 200:
            SMS.inc()
        return response

    def metrics() -> tuple[bytes | str, int, dict[str, str]]:
        if not _loopback_peer():
            return "not found", 404, {"Content-Type": "text/plain"}
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            registry = CollectorRegistry()
            multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
        else:
            registry = REGISTRY
        output = generate_latest(registry)
        if queues is not None:
            extra = CollectorRegistry()
            extra.register(queues)
            output += generate_latest(extra)
        return output, 200, {"Content-Type": CONTENT_TYPE_LATEST}

    app.add_url_rule("/metrics", "metrics", metrics)
