"""Client of the Rasa servers' REST channel on loopback.

Rasa gets only a pseudonymous sender id (a keyed hash chosen by the caller) and the text;
nothing here logs either.

Several Rasa instances (comma-separated URLs) share one Redis tracker store and lock store.
Each conversation goes to the instance picked by a stable hash of its sender id, so it stays
on one instance while that instance is up; when the instance cannot be reached (connection
refused, unreachable, or not taken within the timeout) the next one in the list takes the
message, and as the tracker lives in Redis the conversation continues there. A timeout
waiting for the answer, a dropped answer or an error answer does not fail over: the instance
may have handled the message, and a second try could repeat it.
Nothing about which instance is down is remembered: each message tries its own instance
first again (a refused connection costs a round trip on loopback).
"""

from __future__ import annotations

import hashlib
import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


class BotUnavailable(Exception):
    """No Rasa instance answered in time, or one answered with an error."""


class _Unreachable(Exception):
    """The instance refused or dropped the connection: the message was not delivered."""


@dataclass(frozen=True)
class BotReply:
    texts: list[str] = field(default_factory=list)
    receipt: str | None = None


def parse_urls(configured: str) -> list[str]:
    urls = [part.strip().rstrip("/") for part in configured.split(",") if part.strip()]
    if not urls:
        raise ValueError("at least one Rasa URL is needed")
    for url in urls:
        if not url.startswith(("http://", "https://")):
            raise ValueError("every Rasa URL must be http(s)")
    return urls


def _not_delivered(exc: BaseException) -> bool:
    """True when the request certainly did not reach a Rasa that could act on it: urllib
    raises URLError only while connecting or sending (an answer's errors come unwrapped)."""
    if isinstance(exc, urllib.error.HTTPError):
        return exc.code in (502, 503)  # a proxy in front of a stopped instance
    return isinstance(exc, urllib.error.URLError)


class RasaGateway:
    def __init__(self, base_urls: str, timeout: float = 10.0) -> None:
        self.base_urls = parse_urls(base_urls)
        self.timeout = timeout

    def order_for(self, sender_id: str) -> list[str]:
        """The instances to try for this conversation: its own first, then the next ones."""
        digest = hashlib.sha256(sender_id.encode("utf-8")).digest()
        start = int.from_bytes(digest[:8], "big") % len(self.base_urls)
        return self.base_urls[start:] + self.base_urls[:start]

    def send(
        self,
        sender_id: str,
        text: str,
        language: str | None = None,
        metadata: dict[str, str] | None = None,
    ) -> BotReply:
        body: dict[str, Any] = {"sender": sender_id, "message": text}
        meta = dict(metadata or {})
        if language:
            meta["language"] = language
        if meta:
            body["metadata"] = meta
        data = json.dumps(body).encode("utf-8")
        last = "no instance"
        for base_url in self.order_for(sender_id):
            try:
                return self._post(base_url, data)
            except _Unreachable as exc:
                last = str(exc)
        raise BotUnavailable(last)

    def _post(self, base_url: str, data: bytes) -> BotReply:
        request = urllib.request.Request(  # noqa: S310 (scheme checked in parse_urls)
            f"{base_url}/webhooks/rest/webhook",
            data=data,
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
            if _not_delivered(exc):
                raise _Unreachable(type(exc).__name__) from None
            raise BotUnavailable(type(exc).__name__) from None
        if not isinstance(raw, list):
            raise BotUnavailable("unexpected answer")
        texts: list[str] = []
        receipt: str | None = None
        for item in raw:
            if not isinstance(item, dict):
                continue
            if isinstance(item.get("text"), str):
                texts.append(item["text"])
            custom = item.get("custom")
            if isinstance(custom, dict) and isinstance(custom.get("receipt"), str):
                receipt = custom["receipt"]
        return BotReply(texts, receipt)

    def instance_health(self) -> dict[str, bool]:
        """Whether each instance answers, by its position in the list (1, 2, ...): never
        its URL, which may carry a host or credentials."""
        return {str(n): self._answers(url) for n, url in enumerate(self.base_urls, start=1)}

    def healthy(self) -> bool:
        return any(self.instance_health().values())

    @staticmethod
    def _answers(base_url: str) -> bool:
        try:
            with urllib.request.urlopen(f"{base_url}/", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, TimeoutError, OSError):
            return False
