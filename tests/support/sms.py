"""Twilio test helpers: requests signed with Twilio's own RequestValidator, and an HttpClient
that records the REST calls Twilio's library makes (no network)."""

from __future__ import annotations

import json
import secrets
import xml.etree.ElementTree as ET
from typing import Any

from flask.testing import FlaskClient
from twilio.http import HttpClient
from twilio.http.response import Response as TwilioResponse
from twilio.request_validator import RequestValidator

PUBLIC_URL = "https://hotline.example.test"
AUTH_TOKEN = "0123456789abcdef0123456789abcdef"
ACCOUNT_SID = "AC" + "1" * 32


class RecordingHttpClient(HttpClient):  # type: ignore[misc]
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, Any]]] = []
        self.outbound: list[str] = []

    def request(
        self,
        method: str,
        uri: str,
        params: dict[str, Any] | None = None,
        data: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        timeout: float | None = None,
        allow_redirects: bool = False,
    ) -> TwilioResponse:
        self.calls.append((method, uri, dict(params or {})))
        if method == "DELETE":
            return TwilioResponse(204, "")
        if method == "GET" and uri.endswith("/Messages.json"):
            messages = [{"sid": sid, "account_sid": ACCOUNT_SID} for sid in self.outbound]
            return TwilioResponse(
                200,
                json.dumps(
                    {
                        "messages": messages,
                        "next_page_uri": None,
                        "page": 0,
                        "page_size": 50,
                        "uri": uri,
                    }
                ),
            )
        return TwilioResponse(404, json.dumps({"message": "not found", "status": 404}))

    def deleted(self) -> list[str]:
        return [
            uri.rsplit("/", 1)[-1].removesuffix(".json")
            for m, uri, _ in self.calls
            if m == "DELETE"
        ]


def signed_form(
    number: str, body: str, sid: str | None = None, url: str = PUBLIC_URL + "/sms/inbound"
) -> tuple[dict[str, str], str]:
    form = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": ACCOUNT_SID,
        "From": number,
        "To": "+815000000000",
        "Body": body,
        "NumMedia": "0",
    }
    return form, RequestValidator(AUTH_TOKEN).compute_signature(url, form)


def text(client: FlaskClient, number: str, body: str, sid: str | None = None) -> list[str]:
    form, signature = signed_form(number, body, sid)
    response = client.post("/sms/inbound", data=form, headers={"X-Twilio-Signature": signature})
    assert response.status_code == 200, response.data
    assert response.mimetype == "text/xml"
    root = ET.fromstring(response.data)
    return [m.text or "" for m in root.iter("Message")]
