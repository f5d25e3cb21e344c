"""Client of the Rasa server's REST channel on loopback.

Rasa gets only a pseudonymous sender id (a keyed hash chosen by the caller) and the text;
nothing here logs either.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from dataclasses import dataclass, field
from typing import Any


class BotUnavailable(Exception):
    """Rasa did not answer in time or answered with an error."""


@dataclass(frozen=True)
class BotReply:
    texts: list[str] = field(default_factory=list)
    receipt: str | None = None


class RasaGateway:
    def __init__(self, base_url: str, timeout: float = 10.0) -> None:
        if not base_url.startswith(("http://", "https://")):
            raise ValueError("the Rasa URL must be http(s)")
        self.base_url = base_url.rstrip("/")
        self.timeout = timeout

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
        request = urllib.request.Request(  # noqa: S310 (scheme checked in __init__)
            f"{self.base_url}/webhooks/rest/webhook",
            data=json.dumps(body).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:  # noqa: S310
                raw = json.loads(response.read().decode("utf-8"))
        except (urllib.error.URLError, TimeoutError, OSError, ValueError) as exc:
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

    def healthy(self) -> bool:
        try:
            with urllib.request.urlopen(f"{self.base_url}/", timeout=2) as response:  # noqa: S310
                return bool(response.status == 200)
        except (urllib.error.URLError, TimeoutError, OSError):
            return False
