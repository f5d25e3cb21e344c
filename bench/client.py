"""A reporter's HTTP client for the production shape (stdlib only, one connection per
request so a round-robin balancer spreads them): the browser-sealed submission exactly as
the browser makes it, the no-JS form, the channel API, the chat, signed SMS, follow-ups.

Used by deploy/prod_smoke.py and bench/load.py.
"""

from __future__ import annotations

import base64
import http.client
import json
import re
import secrets
import urllib.parse
from dataclasses import dataclass, field
from typing import Any

from crypto import pow as pow_rule
from crypto import receipts, sealing
from crypto.attachments import describe_file, encrypt_file, new_file_key, seal_file_key
from crypto.grants import CASE_KEY, GrantFor, make_grant, new_key
from crypto.handler_keys import HandlerPublicKeys
from crypto.primitives import Argon2Params
from integrations.twilio.signature import SignatureChecker

RECEIPT = re.compile(r"\d{4}[ -]\d{4}[ -]\d{4}[ -]\d{4}")


def b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode("ascii")


@dataclass
class Reply:
    status: int
    body: bytes
    headers: dict[str, str]

    def json(self) -> dict[str, Any]:
        data = json.loads(self.body or b"{}")
        assert isinstance(data, dict)
        return data

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    @property
    def served_by(self) -> str:
        return self.headers.get("x-served-by", "")


@dataclass
class Client:
    host: str
    port: int
    timeout: float = 60.0
    cookies: dict[str, str] = field(default_factory=dict)

    def request(
        self,
        method: str,
        path: str,
        body: bytes | None = None,
        headers: dict[str, str] | None = None,
    ) -> Reply:
        connection = http.client.HTTPConnection(self.host, self.port, timeout=self.timeout)
        sent = {"Connection": "close", **(headers or {})}
        if self.cookies:
            sent["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        try:
            connection.request(method, path, body=body, headers=sent)
            response = connection.getresponse()
            data = response.read()
            for name, value in response.getheaders():
                if name.lower() == "set-cookie":
                    key, _, rest = value.partition("=")
                    self.cookies[key.strip()] = rest.split(";", 1)[0]
            return Reply(response.status, data, {k.lower(): v for k, v in response.getheaders()})
        finally:
            connection.close()

    def get(self, path: str) -> Reply:
        return self.request("GET", path)

    def post_json(self, path: str, payload: dict[str, Any], **headers: str) -> Reply:
        return self.request(
            "POST",
            path,
            json.dumps(payload).encode(),
            {"Content-Type": "application/json", **headers},
        )

    def post_form(self, path: str, form: dict[str, str]) -> Reply:
        body = urllib.parse.urlencode(form).encode()
        return self.request(
            "POST", path, body, {"Content-Type": "application/x-www-form-urlencoded"}
        )

    def post_multipart(
        self, path: str, fields: dict[str, str], files: list[bytes], **headers: str
    ) -> Reply:
        boundary = "hotline" + secrets.token_hex(12)
        parts: list[bytes] = []
        for name, value in fields.items():
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="{name}"\r\n\r\n'.encode()
                + value.encode()
                + b"\r\n"
            )
        for i, data in enumerate(files):
            parts.append(
                f'--{boundary}\r\nContent-Disposition: form-data; name="file"; '
                f'filename="file-{i}.bin"\r\n'
                "Content-Type: application/octet-stream\r\n\r\n".encode()
                + data
                + b"\r\n"
            )
        parts.append(f"--{boundary}--\r\n".encode())
        return self.request(
            "POST",
            path,
            b"".join(parts),
            {"Content-Type": f"multipart/form-data; boundary={boundary}", **headers},
        )


# --- the browser-sealed submission ----------------------------------------------------------


@dataclass
class SealedReport:
    receipt: str
    lookup_tag: bytes
    wrap_key: bytes
    payload: dict[str, Any]
    files: list[bytes]


def routing(client: Client, category: str) -> dict[str, Any]:
    reply = client.post_json("/api/v1/routing", {"category": category})
    assert reply.status == 200, (reply.status, reply.body[:200])
    return reply.json()


def seal_report(
    route: dict[str, Any], category: str, text: str, attachment: bytes | None = None
) -> SealedReport:
    """Everything the browser computes before it asks for a proof of work."""
    digits = receipts.generate()
    cost = Argon2Params(route["argon2"]["ops"], route["argon2"]["mem_bytes"])
    derived = receipts.derive(digits, base64.b64decode(route["receipt_salt"]), cost)
    case_key, case_id = new_key(), sealing.new_case_id()
    document = {"category": category, "language": "en", "fields": {"what_happened": text}}
    grants = []
    for to in route["recipients"]:
        public = HandlerPublicKeys(base64.b64decode(to["x25519"]), base64.b64decode(to["mlkem"]))
        about = GrantFor(CASE_KEY, case_id, to["handler_id"])
        grants.append(
            {
                "handler_id": to["handler_id"],
                "sealed_keys": b64(make_grant(case_key, public, about)),
            }
        )
    payload: dict[str, Any] = {
        "case_id": case_id,
        "category": category,
        "language": "en",
        "external_only": False,
        "excluded_handlers": [],
        "sealed_report": b64(sealing.seal_report(case_key, document, case_id)),
        "lookup_tag": b64(derived.lookup_tag),
        "reporter_wrapped_key": b64(sealing.wrap_case_key_for_reporter(case_key, derived.wrap_key)),
        "grants": grants,
    }
    files: list[bytes] = []
    if attachment is not None:
        file_key = new_file_key()
        # As the browser does: padded to its size bucket, described in one padding bucket.
        files.append(b"".join(encrypt_file(file_key, [attachment])))
        meta = describe_file("note.txt", "text/plain", len(attachment), False)
        payload["attachments"] = [
            {
                "sealed_file_key": b64(seal_file_key(case_key, file_key, case_id)),
                "sealed_meta": b64(sealing.seal_attachment_meta(case_key, meta, case_id)),
            }
        ]
    return SealedReport(
        receipts.format_receipt(digits), derived.lookup_tag, derived.wrap_key, payload, files
    )


def solve_pow(client: Client, report: SealedReport) -> str:
    """The proof-of-work header for this report (bound to its sealed fields)."""
    challenge = client.get("/api/v1/pow").json()
    return pow_rule.solve_header(
        base64.b64decode(challenge["challenge"]), report.payload, int(challenge["bits"])
    )


def submit_sealed(client: Client, report: SealedReport, pow_header: str) -> Reply:
    payload = report.payload
    headers = {pow_rule.HEADER: pow_header}
    if report.files:
        return client.post_multipart(
            "/api/v1/reports", {"report": json.dumps(payload)}, report.files, **headers
        )
    return client.post_json("/api/v1/reports", payload, **headers)


def sealed_followup(client: Client, report: SealedReport) -> Reply:
    return client.post_json("/api/v1/followup", {"lookup_tag": b64(report.lookup_tag)})


# --- the no-JS form, the channel API, the chat, SMS ---------------------------------------


def csrf_token(client: Client, path: str) -> str:
    page = client.get(path)
    found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert page.status == 200 and found, (page.status, page.body[:200])
    return found.group(1)


def nojs_report(client: Client, category: str, text: str) -> tuple[Reply, str | None]:
    token = csrf_token(client, "/report")
    reply = client.post_form(
        "/report", {"csrf_token": token, "category": category, "what_happened": text}
    )
    found = RECEIPT.search(reply.text) if reply.status == 201 else None
    return reply, found.group(0) if found else None


def nojs_followup(client: Client, receipt: str) -> Reply:
    token = csrf_token(client, "/followup")
    return client.post_form("/followup", {"csrf_token": token, "receipt": receipt})


def channel_report(client: Client, token: str, text: str, key: str | None = None) -> Reply:
    payload = {"category": "other", "body": text, "channel": "web", "language": "en"}
    if key:
        payload["idempotency_key"] = key
    return client.post_json("/api/v1/channel/reports", payload, Authorization=f"Bearer {token}")


def channel_followup(client: Client, token: str, receipt: str) -> Reply:
    return client.post_json(
        "/api/v1/channel/followup", {"receipt": receipt}, Authorization=f"Bearer {token}"
    )


def sms(
    client: Client, public_url: str, auth_token: str, number: str, body: str, sid: str | None = None
) -> tuple[Reply, list[str]]:
    form = {
        "MessageSid": sid or "SM" + secrets.token_hex(16),
        "AccountSid": "AC" + "0" * 32,
        "From": number,
        "To": "+815000000000",
        "Body": body,
        "NumMedia": "0",
    }
    signature = SignatureChecker(auth_token, public_url).sign("/sms/inbound", form)
    reply = client.request(
        "POST",
        "/sms/inbound",
        urllib.parse.urlencode(form).encode(),
        {"Content-Type": "application/x-www-form-urlencoded", "X-Twilio-Signature": signature},
    )
    texts = re.findall(r"<Message>(.*?)</Message>", reply.text, re.S)
    return reply, texts
