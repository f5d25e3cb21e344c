"""Run the held-out conversations (tests/conversations/*.yml) against the trained model, the
real action server and a real hotline app (tests/live_app.py, from the app's venv), through
Flask's /chat endpoint or the signed SMS webhook, and print per language:

    ended as expected (%), accidental submissions, accidental discards, median turns per
    filed report.

A filed report is checked in the hotline itself: the receipt the person got opens a case
(channel follow-up API) whose category, route and fields must equal the expected ones.
Exit status 1 when a language is under 95 % or anything was sent or discarded by accident.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import re
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
import xml.etree.ElementTree as ET
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Dict, Iterator, List, Optional

import yaml

BOT = Path(__file__).resolve().parent
ROOT = BOT.parent
CONVERSATIONS = BOT / "tests" / "conversations"
TARGET = 0.95
RECEIPT = re.compile(r"\d{4} \d{4} \d{4} \d{4}")
DISCARDED = ("everything you typed has been discarded", "入力された内容はすべて破棄しました")
STATUS_SHOWN = ("Status of ", "の状況：")
TWILIO_TOKEN = "evaluation-twilio-token-" + "0" * 8


class _Loader(yaml.SafeLoader):
    """YAML 1.2 booleans: a turn "yes", "no", "YES" or "NO" stays the text the person typed."""


_Loader.yaml_implicit_resolvers = {
    key: [(tag, regexp) for tag, regexp in resolvers if tag != "tag:yaml.org,2002:bool"]
    for key, resolvers in yaml.SafeLoader.yaml_implicit_resolvers.items()}
_Loader.add_implicit_resolver("tag:yaml.org,2002:bool",
                              re.compile(r"^(?:true|True|TRUE|false|False|FALSE)$"),
                              list("tTfF"))


def load_conversations(folder: Path = CONVERSATIONS) -> List[Dict[str, Any]]:
    items: List[Dict[str, Any]] = []
    for path in sorted(folder.glob("*.yml")):
        for item in yaml.load(path.read_text(encoding="utf-8"), Loader=_Loader) or []:
            item.setdefault("language", path.stem.split("_")[0])
            items.append(item)
    return items


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def post_json(url: str, body: Dict[str, Any], token: str = "") -> Dict[str, Any]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, data=json.dumps(body).encode(), headers=headers)
    with urllib.request.urlopen(request, timeout=60) as response:
        return dict(json.loads(response.read()))


def _wait(url: str, process: "subprocess.Popen[bytes]", seconds: float = 180) -> None:
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


@contextmanager
def _process(command: List[str], cwd: Path, env: Dict[str, str],
             log: Path) -> Iterator["subprocess.Popen[bytes]"]:
    with open(log, "wb") as handle:
        process = subprocess.Popen(command, cwd=cwd, env=env, stdout=handle,
                                   stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        process.terminate()
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            process.kill()


@dataclass
class Stack:
    url: str
    token: str


@contextmanager
def running_stack(workdir: Path) -> Iterator[Stack]:
    """The hotline app, the action server and Rasa, each in its own process."""
    app_port, rasa_port, actions_port = free_port(), free_port(), free_port()
    with ExitStack() as stack:
        app = subprocess.Popen(
            [str(ROOT / ".venv" / "bin" / "python"), "-m", "tests.support.live_app", "--port",
             str(app_port), "--instance", str(workdir / "app"), "--rasa-url",
             f"http://127.0.0.1:{rasa_port}", "--twilio-token", TWILIO_TOKEN],
            cwd=ROOT, stdout=subprocess.PIPE, stderr=open(workdir / "app.log", "wb"), text=True,
            env={**os.environ, "PYTHONPATH": str(ROOT)})
        stack.callback(lambda: (app.terminate(), app.wait(timeout=20)))
        line = app.stdout.readline() if app.stdout else ""
        if not line:
            raise RuntimeError("the hotline app did not start: see " + str(workdir / "app.log"))
        info = json.loads(line)
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "SANIC_HOST": "127.0.0.1",
               "BOT_ACTIONS_PORT": str(actions_port), "BOT_TRACKER_TTL_SECONDS": "600",
               "HOTLINE_API_URL": info["url"], "HOTLINE_CHANNEL_TOKEN": info["token"],
               "PYTHONPATH": str(BOT)}
        rasa = str(BOT / ".venv" / "bin" / "rasa")
        actions = stack.enter_context(_process(
            [rasa, "run", "actions", "--port", str(actions_port), "--actions", "actions"],
            BOT, env, workdir / "actions.log"))
        server = stack.enter_context(_process(
            [rasa, "run", "-i", "127.0.0.1", "-p", str(rasa_port), "--model",
             "models/hotline.tar.gz", "--endpoints", "endpoints.yml", "--credentials",
             "credentials.yml"], BOT, env, workdir / "rasa.log"))
        _wait(f"http://127.0.0.1:{actions_port}/health", actions)
        _wait(f"http://127.0.0.1:{rasa_port}/", server)
        yield Stack(info["url"], info["token"])


# -- one conversation -------------------------------------------------------------------
class ChatClient:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.conversation = str(post_json(f"{stack.url}/chat/start", {})["conversation"])

    def say(self, text: str) -> tuple:
        reply = post_json(f"{self.stack.url}/chat/message",
                          {"conversation": self.conversation, "text": text})
        texts = [str(m.get("text") or "") for m in reply.get("messages") or []]
        return texts, reply.get("receipt")


class SmsClient:
    def __init__(self, stack: Stack) -> None:
        self.stack = stack
        self.number = "+8190" + "".join(secrets.choice("0123456789") for _ in range(8))

    def say(self, text: str) -> tuple:
        form = {"MessageSid": "SM" + secrets.token_hex(16), "AccountSid": "AC" + "0" * 32,
                "From": self.number, "To": "+815000000000", "Body": text, "NumMedia": "0"}
        signed = self.stack.url + "/sms/inbound" + "".join(k + form[k] for k in sorted(form))
        signature = base64.b64encode(hmac.new(TWILIO_TOKEN.encode(), signed.encode(),
                                              hashlib.sha1).digest()).decode()
        request = urllib.request.Request(
            self.stack.url + "/sms/inbound", data=urllib.parse.urlencode(form).encode(),
            headers={"X-Twilio-Signature": signature,
                     "Content-Type": "application/x-www-form-urlencoded"})
        with urllib.request.urlopen(request, timeout=60) as response:
            root = ET.fromstring(response.read().decode("utf-8"))
        texts = [m.text or "" for m in root.iter("Message")]
        found = RECEIPT.search("\n".join(texts))
        return texts, found.group(0) if found else None


@dataclass
class Result:
    id: str
    language: str
    ok: bool
    accidental_submission: bool
    accidental_discard: bool
    filed: bool
    turns: int
    problems: List[str] = field(default_factory=list)
    transcript: List[str] = field(default_factory=list)


def seed_case(stack: Stack) -> str:
    """A case filed beforehand, for status checks: its receipt goes into the turns."""
    body = {"category": "fraud_accounting", "body": "Seeded case for a status check",
            "channel": "chat", "language": "en", "external_only": False,
            "idempotency_key": secrets.token_hex(24)}
    return str(post_json(f"{stack.url}/api/v1/channel/reports", body, stack.token)["receipt"])


def case_of(stack: Stack, receipt: str) -> Dict[str, Any]:
    return post_json(f"{stack.url}/api/v1/channel/followup", {"receipt": receipt}, stack.token)


def _same(a: Any, b: Any) -> bool:
    return " ".join(str(a).split()) == " ".join(str(b).split())


def run_one(stack: Stack, item: Dict[str, Any]) -> Result:
    expect: Dict[str, Any] = item.get("expect") or {}
    turns: List[str] = [str(t) for t in item["turns"]]
    seeded = seed_case(stack) if any("{receipt" in t for t in turns) else None
    if seeded:
        turns = [t.replace("{receipt}", seeded).replace("{receipt_dashes}",
                                                         seeded.replace(" ", "-"))
                 .replace("{receipt_plain}", seeded.replace(" ", "")) for t in turns]
    client = SmsClient(stack) if item.get("channel") == "sms" else ChatClient(stack)
    result = Result(str(item["id"]), str(item["language"]), True, False, False, False,
                    len(turns))
    receipt: Optional[str] = None
    status_shown = False
    for index, turn in enumerate(turns):
        last = index == len(turns) - 1
        texts, got = client.say(turn)
        result.transcript += [f"> {turn}", *[f"  {t}" for t in texts]]
        joined = "\n".join(texts)
        if got:
            if receipt or not expect.get("filed") or not last:
                result.accidental_submission = True
            receipt = receipt or str(got)
        if any(d in joined for d in DISCARDED) and (not expect.get("discarded") or not last):
            result.accidental_discard = True
        status_shown = status_shown or any(s in joined for s in STATUS_SHOWN)
        if seeded and seeded in joined:
            result.problems.append("the bot repeated the receipt")
    if bool(receipt) != bool(expect.get("filed")):
        result.problems.append(f"filed={bool(receipt)}, expected {bool(expect.get('filed'))}")
    if expect.get("discarded") and not any(
            any(d in line for d in DISCARDED) for line in result.transcript[-6:]):
        result.problems.append("expected the report to be discarded at the end")
    if expect.get("status_shown") and not status_shown:
        result.problems.append("the case status was not shown")
    if receipt and expect.get("filed"):
        result.filed = True
        case = case_of(stack, receipt)
        report = case.get("report") or {}
        if expect.get("category") and case.get("category") != expect["category"]:
            result.problems.append(f"category {case.get('category')} != {expect['category']}")
        for name, wanted in (expect.get("fields") or {}).items():
            got_value = report.get(name)
            if wanted is None and got_value is not None:
                result.problems.append(f"{name}={got_value!r}, expected nothing")
            elif wanted is not None and not _same(got_value, wanted):
                result.problems.append(f"{name}={got_value!r}, expected {wanted!r}")
    if expect.get("replied") and seeded:
        messages = case_of(stack, seeded).get("messages") or []
        if not any(m.get("author") == "reporter" and _same(m.get("body"), expect["replied"])
                   for m in messages):
            result.problems.append("the reply did not reach the case")
    if result.accidental_submission:
        result.problems.append("accidental submission")
    if result.accidental_discard:
        result.problems.append("accidental discard")
    result.ok = not result.problems
    return result


def summarise(results: List[Result]) -> Dict[str, Dict[str, Any]]:
    figures: Dict[str, Dict[str, Any]] = {}
    for language in sorted({r.language for r in results}):
        mine = [r for r in results if r.language == language]
        turns = [r.turns for r in mine if r.filed]
        figures[language] = {
            "conversations": len(mine),
            "as_expected_percent": round(100.0 * sum(r.ok for r in mine) / len(mine), 1),
            "accidental_submissions": sum(r.accidental_submission for r in mine),
            "accidental_discards": sum(r.accidental_discard for r in mine),
            "median_turns_per_filed_report": statistics.median(turns) if turns else float("nan"),
        }
    return figures


def passed(figures: Dict[str, Dict[str, Any]]) -> bool:
    return all(f["as_expected_percent"] >= 100 * TARGET and f["accidental_submissions"] == 0
               and f["accidental_discards"] == 0 for f in figures.values())


def main(argv: List[str]) -> int:
    verbose = "-v" in argv or "-vv" in argv
    only = [a for a in argv if not a.startswith("-")]
    items = [c for c in load_conversations() if not only or c["id"] in only]
    with tempfile.TemporaryDirectory(prefix="bot-eval-") as folder:
        with running_stack(Path(folder)) as stack:
            results = [run_one(stack, item) for item in items]
    for r in results:
        if not r.ok or verbose:
            print(f"{'ok  ' if r.ok else 'FAIL'} {r.id}: {'; '.join(r.problems)}")
            if not r.ok or "-vv" in argv:
                print("\n".join("      " + line for line in r.transcript))
    figures = summarise(results)
    for language, f in figures.items():
        print(f"{language}: {f['conversations']} conversations, "
              f"{f['as_expected_percent']}% ended as expected, "
              f"{f['accidental_submissions']} accidental submissions, "
              f"{f['accidental_discards']} accidental discards, "
              f"median {f['median_turns_per_filed_report']:g} turns per filed report")
    (BOT / "results").mkdir(exist_ok=True)
    (BOT / "results" / "evaluation.json").write_text(json.dumps(figures, indent=2) + "\n")
    return 0 if passed(figures) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
