"""Run the whole service for development and small deployments: the Flask app (gunicorn),
the Argon2id pool, the Rasa server and the Rasa action server, started together and stopped
together.

    python -m hotline.devserver     (what `make run` does after set-up)

Ports come from HOTLINE_PORT (8000), BOT_PORT (5005) and BOT_ACTIONS_PORT (5055). Every
process binds to 127.0.0.1 unless HOTLINE_HOST says otherwise (Rasa always stays on
loopback). The terminal shows what is happening and the URLs; the processes' own output goes
to <instance>/logs/ (web.log, argon2.log, rasa.log, actions.log, setup.log); none of it
carries report text or client addresses.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Callable
from pathlib import Path

from crypto.argon2_pool import PoolClient
from hotline.config import ConfigError, Settings, load_settings
from hotline.serving import argon2_pool_command, gunicorn_command

ROOT = Path(__file__).resolve().parent.parent
BOT = ROOT / "bot"
BOT_PYTHON = BOT / ".venv" / "bin" / "python"


def _healthy(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as response:  # noqa: S310 (loopback)
            return bool(response.status == 200)
    except OSError:
        return False


def bot_environment(settings: Settings) -> dict[str, str]:
    """The bot's processes get this environment (theirs to read: the bot is its own
    program), with the ports and the channel token from the app's settings."""
    env = dict(os.environ)
    env.setdefault("BOT_TRACKER_TTL_SECONDS", "1800")
    env.setdefault("HOTLINE_API_URL", f"http://127.0.0.1:{settings.port}")
    env.update(
        {
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": "127.0.0.1",
            "BOT_ACTIONS_PORT": str(settings.bot_actions_port),
            "HOTLINE_CHANNEL_TOKEN": settings.channel_token,
            "PYTHONPATH": str(BOT),
        }
    )
    return env


def train_if_stale(env: dict[str, str], log_path: Path) -> None:
    """Train the bot's model when its inputs changed; Rasa's output goes to the log file."""
    stale = subprocess.run([str(BOT_PYTHON), "manage.py", "stale"], cwd=BOT, check=False)
    if stale.returncode != 0:
        return
    print(f"training the chat bot's model (log: {log_path})")
    with open(log_path, "ab") as log:
        subprocess.run(
            [
                str(BOT / ".venv" / "bin" / "rasa"),
                "train",
                "--fixed-model-name",
                "hotline",
                "--out",
                "models",
            ],
            cwd=BOT,
            env=env,
            check=True,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    subprocess.run([str(BOT_PYTHON), "manage.py", "stamp"], cwd=BOT, check=True)


def bot_commands(bot_port: int, actions_port: int) -> list[tuple[str, list[str]]]:
    rasa = str(BOT / ".venv" / "bin" / "rasa")
    return [
        ("actions", [rasa, "run", "actions", "--port", str(actions_port), "--actions", "actions"]),
        (
            "rasa",
            [
                rasa,
                "run",
                "-i",
                "127.0.0.1",
                "-p",
                str(bot_port),
                "--model",
                "models/hotline.tar.gz",
                "--endpoints",
                "endpoints.yml",
                "--credentials",
                "credentials.yml",
            ],
        ),
    ]


def web_command(host: str, port: int) -> list[str]:
    """gunicorn with production's settings file (no access log; its own warnings keep no
    client address), one worker with threads for the single-process stores."""
    return gunicorn_command(
        sys.executable, "--workers", "1", "--threads", "8", "--bind", f"{host}:{port}"
    )


def main() -> int:
    try:
        settings = load_settings()
    except ConfigError as error:
        print(error, file=sys.stderr)
        return 2
    host, port = settings.host, settings.port
    bot_port, actions_port = settings.bot_port, settings.bot_actions_port
    logs = settings.instance_path / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    env = bot_environment(settings)
    train_if_stale(env, logs / "setup.log")

    app_env = dict(os.environ)
    app_env.setdefault("HOTLINE_RASA_URL", f"http://127.0.0.1:{bot_port}")
    pool_socket = settings.argon2_socket or str(settings.instance_path / "run" / "argon2.sock")
    app_env["HOTLINE_ARGON2_SOCKET"] = pool_socket
    processes: list[tuple[str, subprocess.Popen[bytes]]] = []
    with open(logs / "argon2.log", "ab") as log:
        processes.append(
            (
                "argon2",
                subprocess.Popen(
                    argon2_pool_command(sys.executable, pool_socket),
                    cwd=ROOT,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
            )
        )
    for name, command in bot_commands(bot_port, actions_port):
        with open(logs / f"{name}.log", "ab") as log:
            processes.append(
                (
                    name,
                    subprocess.Popen(
                        command, cwd=BOT, env=env, stdout=log, stderr=subprocess.STDOUT
                    ),
                )
            )
    with open(logs / "web.log", "ab") as log:
        processes.append(
            (
                "web",
                subprocess.Popen(
                    web_command(host, port),
                    cwd=ROOT,
                    env=app_env,
                    stdout=log,
                    stderr=subprocess.STDOUT,
                ),
            )
        )

    stopping = False

    def stop(*_args: object) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    checks: dict[str, Callable[[], bool]] = {
        "web": lambda: _healthy(f"http://127.0.0.1:{port}/"),
        "argon2": PoolClient(pool_socket).answers,
        "rasa": lambda: _healthy(f"http://127.0.0.1:{bot_port}/"),
        "actions": lambda: _healthy(f"http://127.0.0.1:{actions_port}/health"),
    }
    print("starting the web app, the Argon2id pool, the chat bot and its action server...")
    deadline = time.monotonic() + 120
    ready: set[str] = set()
    while not stopping and len(ready) < len(checks) and time.monotonic() < deadline:
        for name, answers in checks.items():
            if name not in ready and answers():
                ready.add(name)
        if any(p.poll() is not None for _, p in processes):
            break
        time.sleep(1)
    if len(ready) == len(checks):
        sms = (
            "on: /sms/inbound"
            if settings.twilio_auth_token
            else ("off (set HOTLINE_TWILIO_AUTH_TOKEN to turn it on)")
        )
        print(f"\nHotline (reporters): http://{host}:{port}/")
        print(f"Handler console:     http://{host}:{port}/console")
        print(f"SMS line:            {sms}")
        print(f"Logs:                {logs}\nCtrl-C stops everything.")
    else:
        missing = ", ".join(sorted(set(checks) - ready))
        print(f"not everything came up ({missing}); see the logs in {logs}", file=sys.stderr)
        stopping = True
    while not stopping:
        for name, process in processes:
            if process.poll() is not None:
                print(
                    f"{name} stopped (exit {process.returncode}); stopping the rest",
                    file=sys.stderr,
                )
                stopping = True
        time.sleep(1)
    for _, process in processes:
        if process.poll() is None:
            process.terminate()
    for _, process in processes:
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            process.kill()
    return 0 if len(ready) == len(checks) else 1


if __name__ == "__main__":
    sys.exit(main())
