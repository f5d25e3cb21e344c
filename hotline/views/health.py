"""Liveness and readiness for load balancers and monitors.

`/healthz`: the process answers (touches nothing else). `/readyz`: the database answers a
query, the shared store (Redis) answers a ping, at least one bot instance answers on its URL
(`bot_instances` says which of them answer, by position in HOTLINE_RASA_URL: one down is
served by the others, so it does not make the app unready); 503 names the failing parts,
never a URL, a host or an error text. `argon2_pool` says whether the host's Argon2id pool
answers ("ok"), does not ("down": workers run Argon2id themselves, so the app stays ready)
or is not configured ("off"); "down" is logged as `health.degraded`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, Response, g, jsonify

from crypto.argon2_pool import PoolClient
from hotline import db, wiring
from hotline.kv import ExpiringStore
from integrations.rasa import RasaGateway

log = logging.getLogger("hotline.health")


def _database() -> None:
    db.database().ping()


def _store() -> None:
    store: ExpiringStore = wiring.services().kv
    store.ping()


def _bot() -> None:
    gateway: RasaGateway = wiring.services().rasa
    states = gateway.instance_health()
    g.bot_instances = {n: "ok" if up else "failing" for n, up in states.items()}
    if not any(states.values()):
        raise ConnectionError("bot")


CHECKS: dict[str, Callable[[], None]] = {"database": _database, "redis": _store, "bot": _bot}


def _argon2_pool() -> str:
    path = wiring.settings().argon2_socket
    if not path:
        return "off"
    if PoolClient(path).answers():
        return "ok"
    # Logged here, where a monitor asks, not where a worker falls back while a report is filed.
    log.warning("health.degraded", extra={"kind": "argon2_pool"})
    return "down"


def make_health_blueprint() -> Blueprint:
    bp = Blueprint("health", __name__)

    @bp.get("/healthz")
    def healthz() -> Response:
        return jsonify(status="alive")

    @bp.get("/readyz")
    def readyz() -> Response:
        results: dict[str, str] = {}
        for name, check in CHECKS.items():
            try:
                check()
                results[name] = "ok"
            except Exception as error:  # any failure means not ready; its text stays here
                log.warning("health.not_ready", extra={"kind": f"{name}:{type(error).__name__}"})
                results[name] = "failing"
        failing = sorted(name for name, state in results.items() if state != "ok")
        response = jsonify(
            status="not_ready" if failing else "ready",
            checks=results,
            failing=failing,
            bot_instances=g.get("bot_instances", {}),
            argon2_pool=_argon2_pool(),
        )
        response.status_code = 503 if failing else 200
        return response

    return bp
