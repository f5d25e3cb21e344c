"""/healthz and /readyz: what is checked, 503 naming the failing part, nothing secret."""

from __future__ import annotations

from pathlib import Path

from hotline import create_app, migrate, wiring
from tests.support import REDIS_URL, config_for


def make(tmp_path: Path, **extra: object):  # type: ignore[no-untyped-def]
    url = f"sqlite:///{tmp_path / 'h.db'}"
    migrate.upgrade(url)
    return create_app(config_for(url, tmp_path / "instance", **extra))


def test_alive_and_ready_with_every_part_up(tmp_path: Path) -> None:
    app = make(tmp_path, REDIS_URL=REDIS_URL, RASA_URL="http://127.0.0.1:9")
    client = app.test_client()
    assert client.get("/healthz").json == {"status": "alive"}
    wiring.services(app).rasa.instance_health = lambda: {"1": True}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json["checks"] == {"database": "ok", "redis": "ok", "bot": "ok"}


def test_not_ready_names_the_failing_parts_and_nothing_else(tmp_path: Path) -> None:
    secret_url = "redis://:hunter2-secret@127.0.0.1:1/0"
    app = make(tmp_path, REDIS_URL=secret_url, RASA_URL="http://127.0.0.1:9")
    response = app.test_client().get("/readyz")
    assert response.status_code == 503
    assert response.json["failing"] == ["bot", "redis"]
    assert response.json["checks"]["database"] == "ok"
    assert b"hunter2" not in response.data and b"127.0.0.1" not in response.data
    assert app.test_client().get("/healthz").status_code == 200


def test_database_down(tmp_path: Path) -> None:
    app = make(tmp_path)
    wiring.services(app).rasa.instance_health = lambda: {"1": True}
    wiring.services(app).database.engine.dispose()
    (tmp_path / "h.db").unlink()
    (tmp_path / "h.db").mkdir()  # the file is gone and cannot be recreated
    response = app.test_client().get("/readyz")
    assert response.status_code == 503 and response.json["failing"] == ["database"]


def test_one_bot_instance_down_is_named_by_position_and_the_app_stays_ready(
    tmp_path: Path,
) -> None:
    from tests.support.botprocs import free_port
    from tests.unit.test_rasa_gateway import servers

    with servers("up") as (up,):
        down = f"http://user:hunter2-secret@127.0.0.1:{free_port()}"
        app = make(tmp_path, REDIS_URL=REDIS_URL, RASA_URL=f"{up.url},{down}")
        response = app.test_client().get("/readyz")
    assert response.status_code == 200 and response.json["checks"]["bot"] == "ok"
    assert response.json["bot_instances"] == {"1": "ok", "2": "failing"}
    assert b"hunter2" not in response.data and b"127.0.0.1" not in response.data
