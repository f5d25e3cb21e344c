"""The gateway spreads conversations over several Rasa URLs by a stable hash of the sender id
and fails over when an instance cannot be reached; real HTTP servers on loopback stand in for
the Rasa instances."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from integrations.rasa import BotUnavailable, RasaGateway
from tests.support.botprocs import free_port


class FakeRasa(ThreadingHTTPServer):
    """Answers Rasa's REST channel with its own name and records the senders it served."""

    def __init__(self, name: str, status: int = 200) -> None:
        self.name, self.status, self.senders = name, status, []
        super().__init__(("127.0.0.1", 0), _Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    server: FakeRasa

    def do_GET(self) -> None:
        self._answer(200, b"Hello from Rasa")

    def do_POST(self) -> None:
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.server.senders.append(body["sender"])
        self._answer(self.server.status, json.dumps([{"text": self.server.name}]).encode())

    def _answer(self, status: int, data: bytes) -> None:
        self.send_response(status)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@contextmanager
def servers(*names: str, status: int = 200) -> Iterator[list[FakeRasa]]:
    running = [FakeRasa(name, status) for name in names]
    threads = [threading.Thread(target=s.serve_forever, daemon=True) for s in running]
    for thread in threads:
        thread.start()
    try:
        yield running
    finally:
        for server in running:
            server.shutdown()
            server.server_close()


def dead_url() -> str:
    return f"http://127.0.0.1:{free_port()}"  # bound then closed: connections are refused


SENDERS = [f"keyed-sender-{n:03d}" for n in range(60)]


def test_every_conversation_stays_on_one_instance_and_all_instances_get_some() -> None:
    with servers("a", "b", "c") as (a, b, c):
        gateway = RasaGateway(f"{a.url}, {b.url},{c.url}/", 5)
        first = {s: gateway.send(s, "hello").texts[0] for s in SENDERS}
        again = {
            s: RasaGateway(",".join([a.url, b.url, c.url]), 5).send(s, "more").texts[0]
            for s in SENDERS
        }
    assert first == again  # stable across messages and across gateways (processes)
    counts = {name: list(first.values()).count(name) for name in "abc"}
    assert all(count >= 8 for count in counts.values()), counts
    assert sorted(a.senders + b.senders + c.senders) == sorted(SENDERS * 2)


def test_a_down_instance_fails_over_to_the_next_and_only_its_conversations_move() -> None:
    with servers("a", "b", "c") as (a, b, c):
        urls = [a.url, b.url, c.url]
        home = {s: RasaGateway(",".join(urls), 5).send(s, "hello").texts[0] for s in SENDERS}
        urls[1] = dead_url()  # b is down
        gateway = RasaGateway(",".join(urls), 5)
        moved = {s: gateway.send(s, "more").texts[0] for s in SENDERS}
    for sender in SENDERS:
        if home[sender] == "b":
            assert moved[sender] == "c"  # the next instance in the list takes it
        else:
            assert moved[sender] == home[sender]  # the others stay where they were
    assert "b" in home.values()


def test_the_last_instance_down_wraps_to_the_first() -> None:
    with servers("a") as (a,):
        gateway = RasaGateway(f"{dead_url()},{a.url}", 5)
        assert {gateway.send(s, "hi").texts[0] for s in SENDERS} == {"a"}


def test_every_instance_down_is_bot_unavailable() -> None:
    gateway = RasaGateway(f"{dead_url()},{dead_url()}", 2)
    with pytest.raises(BotUnavailable):
        gateway.send("someone", "hello")
    assert gateway.instance_health() == {"1": False, "2": False}
    assert not gateway.healthy()


def test_an_error_answer_does_not_fail_over() -> None:
    """The instance got the message and may have acted on it: no second try elsewhere."""
    with servers("broken", status=500) as (broken,), servers("spare") as (spare,):
        gateway = RasaGateway(f"{broken.url},{spare.url}", 5)
        on_broken = next(s for s in SENDERS if gateway.order_for(s)[0] == broken.url)
        with pytest.raises(BotUnavailable):
            gateway.send(on_broken, "hello")
    assert broken.senders == [on_broken] and spare.senders == []


def test_health_names_instances_by_position_only() -> None:
    with servers("a") as (a,):
        down = dead_url()
        gateway = RasaGateway(f"{a.url},{down}", 5)
        assert gateway.instance_health() == {"1": True, "2": False}
        assert gateway.healthy()


@pytest.mark.parametrize("configured", ["", " , ", "ftp://x", "http://a,file:///etc"])
def test_bad_url_lists_are_refused(configured: str) -> None:
    with pytest.raises(ValueError):
        RasaGateway(configured)
