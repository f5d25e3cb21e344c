"""The production shape on one machine, and journeys through it (`make prod-smoke`).

Starts, from the same configuration a deployment uses (HOTLINE_ENV=production,
gunicorn.conf.py, deploy/haproxy.cfg.in): a Redis of its own, a fresh PostgreSQL database,
two app instances (gunicorn, two workers each) on two ports behind HAProxy (round robin,
no stickiness), the host's Argon2id pool both instances share, the RQ worker, the scheduler
and the bot (Rasa + actions). Then, through the balancer: a browser-sealed report with an
attachment, a no-JS report, a chat report, a bot-down SMS report whose texts alternate
between the instances, follow-ups (every Argon2id run so far made by the pool); a stream of
submissions while one instance is killed with SIGKILL; a Redis restart; the pool killed with
SIGKILL (the workers run Argon2id themselves meanwhile) and restarted; and every receipt
accepted before, during and after still opens its report. Exit 0 only if all of it holds.
"""

from __future__ import annotations

import http.client
import itertools
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Callable
from contextlib import ExitStack
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bench import client as hc  # noqa: E402
from crypto.argon2_pool import PoolClient  # noqa: E402
from hotline.devserver import bot_commands  # noqa: E402
from hotline.serving import argon2_pool_command, gunicorn_command  # noqa: E402

PG_ADMIN = os.environ.get(
    "HOTLINE_SMOKE_PG_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
VENV = ROOT / ".venv" / "bin"
ROOT_PASSPHRASE = secrets.token_urlsafe(24)
BOT = ROOT / "bot"
PUBLIC_URL = "https://hotline.smoke.test"
TWILIO_TOKEN = secrets.token_hex(16)


def log(message: str) -> None:
    print(f"[prod-smoke {time.strftime('%H:%M:%S')}] {message}", flush=True)


def free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for(what: str, check: Callable[[], bool], seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.5)
    raise RuntimeError(f"{what} did not come up within {seconds:.0f} s")


def http_ok(url: str) -> bool:
    with urllib.request.urlopen(url, timeout=3) as response:
        return bool(response.status == 200)


class Stack:
    """Every process of the production shape; stopped together."""

    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.ports = {
            name: free_port() for name in ("app1", "app2", "lb", "redis", "rasa", "actions")
        }
        self.processes: dict[str, subprocess.Popen[bytes]] = {}
        self.logs = tmp / "logs"
        self.logs.mkdir()
        self.db_name = f"hotline_smoke_{secrets.token_hex(5)}"
        self.db_url = PG_ADMIN.rsplit("/", 1)[0] + "/" + self.db_name
        keys = tmp / "keys"
        keys.mkdir(mode=0o700)
        (keys / "pepper").write_text(secrets.token_hex(32))
        # The organisation root, made "offline" (its own instance folder); only its public
        # half configures the app.
        self.root_file = tmp / "offline-root" / "root.key"
        self.root_file.parent.mkdir(mode=0o700)
        made = subprocess.run(
            [str(VENV / "flask"), "--app", "wsgi", "keys", "init-root",
             "--out", str(self.root_file), "--passphrase-stdin"],
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT),
                 "HOTLINE_INSTANCE_PATH": str(tmp / "offline")},
            input=ROOT_PASSPHRASE + "\n",
            capture_output=True,
            text=True,
            timeout=600,
            check=True,
        )  # fmt: skip
        assert "fingerprint" in made.stdout
        self.env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "HOTLINE_ENV": "production",
            "HOTLINE_INSTANCE_PATH": str(tmp / "instance"),
            "HOTLINE_DATABASE_URL": self.db_url,
            "HOTLINE_REDIS_URL": f"redis://127.0.0.1:{self.ports['redis']}/0",
            "HOTLINE_PEPPER_FILE": str(keys / "pepper"),
            "HOTLINE_KEYS_ROOT_PUBLIC_FILE": str(self.root_file) + ".pub",
            "HOTLINE_SECRET_KEY": secrets.token_hex(32),
            "HOTLINE_CHANNEL_TOKEN": secrets.token_hex(32),
            "HOTLINE_RECEIPT_SALT": secrets.token_hex(16),
            "HOTLINE_PSEUDONYM_KEY": secrets.token_hex(32),
            "HOTLINE_COOKIE_SECURE": "1",
            "HOTLINE_PROXY_COUNT": "1",
            "HOTLINE_PUBLIC_URL": PUBLIC_URL,
            "HOTLINE_ALLOW_MAIL_OUTBOX": "1",
            "HOTLINE_TWILIO_AUTH_TOKEN": TWILIO_TOKEN,
            "HOTLINE_RASA_URL": f"http://127.0.0.1:{self.ports['rasa']}",
            "HOTLINE_RASA_TIMEOUT_SECONDS": "30",
            # One client address (the smoke) sends everything: budgets for a crowd.
            "HOTLINE_REPORT_RATE_LIMIT": "10000 per minute",
            "HOTLINE_REPORT_GLOBAL_RATE_LIMIT": "10000 per minute",
            "HOTLINE_RECEIPT_RATE_LIMIT": "10000 per minute",
            "HOTLINE_RECEIPT_GLOBAL_RATE_LIMIT": "10000 per minute",
            "HOTLINE_PAGE_RATE_LIMIT": "10000 per minute",
            "HOTLINE_CHAT_RATE_LIMIT": "10000 per minute",
            "HOTLINE_SMS_RATE_LIMIT": "10000 per minute",
            "HOTLINE_WORKERS": "2",
            "HOTLINE_GUNICORN_LOG_LEVEL": "warning",
            "HOTLINE_ARGON2_SOCKET": str(tmp / "run" / "argon2.sock"),
        }
        self.token = self.env["HOTLINE_CHANNEL_TOKEN"]

    # -- processes ------------------------------------------------------------------------
    def start(self, name: str, command: list[str], cwd: Path = ROOT, **env: str) -> None:
        handle = open(self.logs / f"{name}.log", "ab")  # noqa: SIM115 (kept open for the child)
        self.processes[name] = subprocess.Popen(
            command,
            cwd=cwd,
            env={**self.env, **env},
            stdout=handle,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: kill -9 takes all its workers
        )

    def kill(self, name: str, sig: int = signal.SIGTERM) -> None:
        process = self.processes.pop(name, None)
        if process is None or process.poll() is not None:
            return
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def flask(self, *args: str, stdin: str | None = None) -> str:
        done = subprocess.run(
            [str(VENV / "flask"), "--app", "wsgi", *args],
            cwd=ROOT,
            env=self.env,
            input=stdin,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"flask {' '.join(args)} failed: {done.stderr[-2000:]}")
        return done.stdout

    def sign_keys_offline(self) -> None:
        """The handlers' keys signed as in production: requests out, signed on the "offline"
        side (its own instance folder, the root key file), entries back in."""
        offline = self.tmp / "offline"
        requests, entries = self.tmp / "requests.json", self.tmp / "entries.json"
        self.flask("keys", "requests", "--out", str(requests))
        done = subprocess.run(
            [str(VENV / "flask"), "--app", "wsgi", "keys", "sign", str(requests),
             "--root", str(self.root_file), "--out", str(entries), "--passphrase-stdin"],
            cwd=ROOT,
            env={**self.env, "HOTLINE_INSTANCE_PATH": str(offline)},
            input=ROOT_PASSPHRASE + "\n",
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )  # fmt: skip
        if done.returncode != 0:
            raise RuntimeError(f"flask keys sign failed: {done.stderr[-2000:]}")
        self.flask("keys", "import", str(entries))
        self.flask("keys", "verify")

    def start_redis(self) -> None:
        self.start(
            "redis",
            [
                "redis-server",
                "--port",
                str(self.ports["redis"]),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                str(self.tmp),
            ],
        )
        import redis

        wait_for("redis", lambda: bool(redis.Redis(port=self.ports["redis"]).ping()), 30)

    def start_app(self, name: str) -> None:
        self.start(
            name,
            gunicorn_command(VENV / "python"),
            HOTLINE_BIND=f"127.0.0.1:{self.ports[name]}",
            # as hotline-web@.service: the workers' metrics summed at scrape time
            PROMETHEUS_MULTIPROC_DIR=str(self.tmp / f"metrics-{name}"),
        )

    def start_pool(self) -> None:
        socket = self.env["HOTLINE_ARGON2_SOCKET"]
        self.start("argon2", argon2_pool_command(VENV / "python", socket))
        wait_for("argon2 pool", PoolClient(socket).answers, 30)

    def fallbacks(self, name: str) -> float:
        """Argon2id runs app instance `name` made itself (its metrics, read over loopback)."""
        page = hc.Client("127.0.0.1", self.ports[name]).get("/metrics")
        assert page.status == 200, page.status
        return sum(
            float(line.split()[-1])
            for line in page.text.splitlines()
            if line.startswith("hotline_argon2_pool_fallbacks_total")
        )

    def wait_app(self, name: str) -> None:
        wait_for(name, lambda: http_ok(f"http://127.0.0.1:{self.ports[name]}/healthz"))

    def start_bot(self) -> None:
        bot_env = {
            "RASA_TELEMETRY_ENABLED": "false",
            "SANIC_HOST": "127.0.0.1",
            "BOT_ACTIONS_PORT": str(self.ports["actions"]),
            "BOT_TRACKER_TTL_SECONDS": "600",
            "HOTLINE_API_URL": f"http://127.0.0.1:{self.ports['lb']}",
            "HOTLINE_CHANNEL_TOKEN": self.token,
            "PYTHONPATH": str(BOT),
        }
        for name, command in bot_commands(self.ports["rasa"], self.ports["actions"]):
            self.start(name, command, cwd=BOT, **bot_env)

    def start_balancer(self) -> None:
        template = (ROOT / "deploy" / "haproxy.cfg.in").read_text()
        config = self.tmp / "haproxy.cfg"
        config.write_text(
            template.replace("@LB_PORT@", str(self.ports["lb"]))
            .replace("@APP1_PORT@", str(self.ports["app1"]))
            .replace("@APP2_PORT@", str(self.ports["app2"]))
        )
        haproxy = shutil.which("haproxy") or "/usr/sbin/haproxy"
        self.start("haproxy", [haproxy, "-db", "-f", str(config)])
        wait_for("haproxy", lambda: http_ok(f"http://127.0.0.1:{self.ports['lb']}/healthz"), 30)

    def database(self, create: bool) -> None:
        admin = create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as connection:
            if create:
                connection.execute(text(f'CREATE DATABASE "{self.db_name}"'))
            else:
                connection.execute(text(f'DROP DATABASE IF EXISTS "{self.db_name}" WITH (FORCE)'))
        admin.dispose()

    def stop_all(self) -> None:
        for name in list(self.processes):
            self.kill(name)

    def client(self) -> hc.Client:
        return hc.Client("127.0.0.1", self.ports["lb"], timeout=120)


# --- journeys ------------------------------------------------------------------------------


def with_retries(
    attempt: Callable[[], hc.Reply], ok: int | tuple[int, ...], tries: int = 8
) -> hc.Reply:
    """A reporter retries when the connection or a gateway fails, or an answer is cut off
    (the instance died mid-answer); never after a whole answer."""
    wanted = ok if isinstance(ok, tuple) else (ok,)
    last: hc.Reply | None = None
    for _ in range(tries):
        try:
            last = attempt()
        except (OSError, http.client.HTTPException):
            time.sleep(1)
            continue
        if last.status in wanted:
            return last
        if last.status not in (502, 503, 504):
            break
        time.sleep(1)
    raise AssertionError(f"expected {ok}, got {last.status if last else 'no answer'}")


def sealed_journey(stack: Stack) -> hc.SealedReport:
    c = stack.client()
    report = hc.seal_report(
        hc.routing(c, "fraud_accounting"),
        "fraud_accounting",
        "sealed smoke report",
        attachment=b"ledger page 4 is rewritten every month",
    )
    reply = hc.submit_sealed(c, report, hc.solve_pow(c, report))
    assert reply.status == 201, (reply.status, reply.body[:300])
    opened = hc.sealed_followup(c, report)
    assert opened.status == 200 and opened.json()["attachments"], opened.body[:300]
    return report


def nojs_journey(stack: Stack) -> str:
    c = stack.client()
    reply, receipt = hc.nojs_report(c, "harassment", "no-JS smoke report")
    assert reply.status == 201 and receipt, (reply.status, reply.body[:300])
    page = hc.nojs_followup(stack.client(), receipt)
    assert page.status == 200, (page.status, page.body[:300])
    return receipt


def chat_journey(stack: Stack) -> str:
    c = stack.client()
    conversation = c.post_json("/chat/start", {}).json()["conversation"]
    script = [
        "I want to report something",
        "The loading dock lights are out",
        "6",
        "this week",
        "loading dock",
        "don't know",
        "I drive one",
        "no",
        "yes",
    ]
    transcript: list[str] = []
    for turn in range(16):
        said = script[turn] if turn < len(script) else "yes"
        reply = with_retries(
            lambda s=said: c.post_json("/chat/message", {"conversation": conversation, "text": s}),
            200,
        ).json()
        assert reply["available"] is True, reply
        transcript.append(" / ".join(str(m["text"])[:80] for m in reply["messages"]))
        if reply.get("receipt"):
            return str(reply["receipt"])
    raise AssertionError("the chat conversation gave no receipt: " + " | ".join(transcript))


def sms_journey(stack: Stack, number: str) -> tuple[str, list[str]]:
    """Bot down: the built-in conversation. Returns the receipt and who served each text."""
    served: list[str] = []
    answers = []
    for body in ("hello", "The night shift skips the safety checks", "6", "YES"):
        reply, texts = hc.sms(stack.client(), PUBLIC_URL, TWILIO_TOKEN, number, body)
        assert reply.status == 200, (reply.status, reply.body[:300])
        served.append(reply.served_by)
        answers.append(" ".join(texts))
    assert "Nothing is filed" in answers[0], answers
    assert "category" in answers[1] and "YES or NO" in answers[2], answers
    found = hc.RECEIPT.search(answers[3])
    assert found, answers
    return found.group(0), served


def follows(stack: Stack, receipt: str) -> None:
    reply = with_retries(lambda: hc.channel_followup(stack.client(), stack.token, receipt), 200)
    assert reply.json()["case_id"].startswith("HL-")


def stream_reports(stack: Stack, count: int, accepted: list[str], errors: list[str]) -> None:
    """Channel submissions one after another (idempotency keys: a retry never files twice)."""
    for i in range(count):
        key = secrets.token_hex(16)
        try:
            reply = with_retries(
                lambda k=key, n=i: hc.channel_report(stack.client(), stack.token, f"stream {n}", k),
                # 200: a retry of a report whose 201 was cut off by the kill gets its receipt.
                (201, 200),
            )
            accepted.append(str(reply.json()["receipt"]))
        except AssertionError as error:
            errors.append(str(error))


def main() -> int:
    if not shutil.which("haproxy") and not Path("/usr/sbin/haproxy").exists():
        log("haproxy is not installed (make prod-smoke installs it)")
        return 2
    with tempfile.TemporaryDirectory(prefix="hotline-smoke-") as folder, ExitStack() as cleanup:
        stack = Stack(Path(folder))
        stack.database(create=True)
        cleanup.callback(stack.database, False)
        cleanup.callback(stack.stop_all)
        stack.start_redis()
        log("migrating, loading the routing policy, seeding handlers")
        stack.flask("db", "upgrade")
        stack.flask("routing", "load")
        stack.flask("demo", "seed")
        stack.sign_keys_offline()
        stack.start_bot()
        stack.start_pool()
        for name in ("app1", "app2"):
            stack.start_app(name)
        stack.start("worker", [str(VENV / "flask"), "--app", "wsgi", "jobs", "worker"])
        stack.start("scheduler", [str(VENV / "flask"), "--app", "wsgi", "jobs", "scheduler"])
        for name in ("app1", "app2"):
            stack.wait_app(name)
        stack.start_balancer()
        log(f"balancer on 127.0.0.1:{stack.ports['lb']}; waiting for the bot")
        wait_for("rasa", lambda: http_ok(f"http://127.0.0.1:{stack.ports['rasa']}/"), 300)
        wait_for("actions", lambda: http_ok(f"http://127.0.0.1:{stack.ports['actions']}/health"))
        ready = stack.client().get("/readyz")
        assert ready.status == 200 and json.loads(ready.text)["argon2_pool"] == "ok", ready.text

        receipts: list[str] = []
        sealed = sealed_journey(stack)
        log("browser-sealed report with attachment: filed and reopened")
        receipts.append(nojs_journey(stack))
        log("no-JS report: filed and reopened")
        receipts.append(chat_journey(stack))
        log("chat report through the bot: filed")

        stack.kill("rasa")
        stack.kill("actions")
        receipt, served = sms_journey(stack, "+819011112222")
        assert set(served) == {"app1", "app2"}, served
        assert all(a != b for a, b in itertools.pairwise(served)), served
        receipts.append(receipt)
        log(f"bot-down SMS report, texts served by {' '.join(served)}: filed")
        for r in receipts:
            follows(stack, r)
        log("follow-ups of every receipt: ok")
        assert stack.fallbacks("app1") == stack.fallbacks("app2") == 0
        log("every Argon2id run so far was made by the pool")

        accepted: list[str] = []
        errors: list[str] = []
        streamer = threading.Thread(target=stream_reports, args=(stack, 40, accepted, errors))
        streamer.start()
        wait_for("first streamed reports", lambda: len(accepted) >= 8, 120)
        stack.kill("app1", signal.SIGKILL)
        log(f"app1 killed with SIGKILL after {len(accepted)} streamed reports")
        streamer.join(timeout=600)
        assert not errors and len(accepted) == 40, (len(accepted), errors[:3])
        log("40 streamed reports accepted across the kill")

        stack.kill("redis")
        stack.start_redis()
        log("redis restarted (its state is gone by design)")
        receipt, served = sms_journey(stack, "+819033334444")
        assert set(served) == {"app2"}, served
        receipts.append(receipt)
        receipts.append(nojs_journey(stack))
        for r in receipts + accepted:
            follows(stack, r)
        opened = hc.sealed_followup(stack.client(), sealed)
        assert opened.status == 200, opened.status
        log(
            "after the kill and the restart every receipt opens "
            f"({len(receipts) + len(accepted) + 1})"
        )

        stack.kill("argon2", signal.SIGKILL)
        receipts.append(nojs_journey(stack))
        follows(stack, receipts[-1])
        down = json.loads(stack.client().get("/readyz").text)
        # the bot is down since the SMS journey: that alone is what makes the app unready
        assert down["argon2_pool"] == "down" and down["failing"] == ["bot"], down
        assert stack.fallbacks("app2") > 0
        log("argon2 pool killed: a no-JS report and its follow-up ran Argon2id in the workers")
        stack.start_pool()
        before = stack.fallbacks("app2")
        receipts.append(nojs_journey(stack))
        assert stack.fallbacks("app2") == before
        log("argon2 pool restarted: the workers use it again")

        status = stack.flask("jobs", "status")
        assert "scheduler: running" in status, status
        log("jobs: " + status.splitlines()[0])
    log("passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
