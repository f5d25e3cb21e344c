"""Start the real Rasa server and action server (from bot/.venv) for tests and benchmarks."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BOT = ROOT / "bot"
RASA = BOT / ".venv" / "bin" / "rasa"


@dataclass
class RunningBot:
    url: str
    actions_url: str
    api_token: str
    logs: list[Path]
    processes: list[subprocess.Popen[bytes]]
    env: dict[str, str] = field(default_factory=dict)

    def tracker_events(self, sender_id: str) -> list[dict[str, object]]:
        import json

        with urllib.request.urlopen(
            f"{self.url}/conversations/{sender_id}/tracker?token={self.api_token}", timeout=10
        ) as response:
            return list(json.loads(response.read())["events"])

    def log_bytes(self) -> bytes:
        return b"".join(p.read_bytes() for p in self.logs if p.exists())


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _wait(url: str, process: subprocess.Popen[bytes], seconds: float = 240) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"process for {url} exited with {process.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError:
            time.sleep(0.5)
    raise RuntimeError(f"{url} did not come up")


def ensure_model() -> None:
    python = BOT / ".venv" / "bin" / "python"
    if subprocess.run([str(python), "manage.py", "stale"], cwd=BOT).returncode == 0:
        subprocess.run(
            [str(RASA), "train", "--fixed-model-name", "hotline", "--out", "models"],
            cwd=BOT,
            check=True,
            env={**os.environ, "RASA_TELEMETRY_ENABLED": "false"},
            capture_output=True,
        )
        subprocess.run([str(python), "manage.py", "stamp"], cwd=BOT, check=True)


def rasa_command(rasa_port: int, token: str) -> list[str]:
    return [
        str(RASA),
        "run",
        "-i",
        "127.0.0.1",
        "-p",
        str(rasa_port),
        "--model",
        "models/hotline.tar.gz",
        "--endpoints",
        "endpoints.yml",
        "--credentials",
        "credentials.yml",
        "--enable-api",
        "--auth-token",
        token,
    ]


@contextmanager
def running_bot(
    api_url: str,
    channel_token: str,
    log_dir: Path,
    rasa_port: int | None = None,
    extra_env: dict[str, str] | None = None,
) -> Iterator[RunningBot]:
    if not RASA.exists():
        raise RuntimeError("bot/.venv is missing: run `make setup`")
    ensure_model()
    rasa_port, actions_port = rasa_port or free_port(), free_port()
    token = secrets.token_hex(16)
    env = {
        **os.environ,
        "RASA_TELEMETRY_ENABLED": "false",
        "SANIC_HOST": "127.0.0.1",
        "BOT_ACTIONS_PORT": str(actions_port),
        "BOT_TRACKER_TTL_SECONDS": "600",
        "HOTLINE_API_URL": api_url,
        "HOTLINE_CHANNEL_TOKEN": channel_token,
        "PYTHONPATH": str(BOT),
        **(extra_env or {}),
    }
    log_dir.mkdir(parents=True, exist_ok=True)
    logs = [log_dir / "actions.log", log_dir / "rasa.log"]
    commands = [
        [str(RASA), "run", "actions", "--port", str(actions_port), "--actions", "actions"],
        rasa_command(rasa_port, token),
    ]
    processes: list[subprocess.Popen[bytes]] = []
    try:
        for command, log in zip(commands, logs, strict=True):
            with open(log, "wb") as handle:
                processes.append(
                    subprocess.Popen(
                        command,
                        cwd=BOT,
                        env=env,
                        stdout=handle,
                        stderr=subprocess.STDOUT,
                    )
                )
        _wait(f"http://127.0.0.1:{actions_port}/health", processes[0])
        _wait(f"http://127.0.0.1:{rasa_port}/", processes[1])
        yield RunningBot(
            f"http://127.0.0.1:{rasa_port}",
            f"http://127.0.0.1:{actions_port}",
            token,
            logs,
            processes,
            env,
        )
    finally:
        _stop(processes)


def _stop(processes: list[subprocess.Popen[bytes]]) -> None:
    for process in processes:
        process.terminate()
    for process in processes:
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@contextmanager
def another_rasa(bot: RunningBot, log_dir: Path) -> Iterator[RunningBot]:
    """A second Rasa server beside `bot`: same environment (Redis stores, seal key), same
    action server, its own port and API token."""
    port, token = free_port(), secrets.token_hex(16)
    log_dir.mkdir(parents=True, exist_ok=True)
    log = log_dir / "rasa.log"
    with open(log, "wb") as handle:
        process = subprocess.Popen(
            rasa_command(port, token),
            cwd=BOT,
            env=bot.env,
            stdout=handle,
            stderr=subprocess.STDOUT,
        )
    try:
        _wait(f"http://127.0.0.1:{port}/", process)
        yield RunningBot(
            f"http://127.0.0.1:{port}", bot.actions_url, token, [log], [process], bot.env
        )
    finally:
        _stop([process])


@contextmanager
def live_app(
    port: int, instance: str, rasa_url: str, twilio_token: str = ""
) -> Iterator[dict[str, object]]:
    """`tests.support.live_app` in its own process on a chosen port; yields its JSON line."""
    import json
    import sys

    command = [
        sys.executable,
        "-m",
        "tests.support.live_app",
        "--port",
        str(port),
        "--instance",
        instance,
        "--rasa-url",
        rasa_url,
    ]
    if twilio_token:
        command += ["--twilio-token", twilio_token]
    process = subprocess.Popen(
        command,
        cwd=ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline() if process.stdout else ""
        if not line:
            raise RuntimeError("the hotline app did not start")
        yield dict(json.loads(line))
    finally:
        process.terminate()
        process.wait(timeout=20)
