"""Open an offline export (`flask cases export`) with the handler's password alone.

    python -m hotline.offline_open EXPORT.json [--case HL-...] [--password-stdin]

Runs without the database, the instance folder or any server secret: the password unwraps
the handler's private keys, which open the grants, which open the cases. Everything is
printed to the terminal and nothing is written to disk. File contents are not in the
export; their names are listed.
"""

from __future__ import annotations

import argparse
import base64
import getpass
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from crypto import handler_keys, sealing
from crypto.errors import CryptoError, DecryptionError
from crypto.grants import CASE_KEY, GrantFor, open_grant
from crypto.handler_keys import HandlerPrivateKeys
from crypto.primitives import Argon2Params

FORMAT = "hotline-offline-export/2"
# As hotline.services.case_view prints them: one message, file description or case that does
# not open (a reporter's browser sealed it wrongly, a row was moved) never hides the others.
UNREADABLE = "[This message could not be decrypted.]"
UNOPENED = "[Your key does not open this case.]"


class ExportError(Exception):
    """The file is not an export, or the password does not open it."""


@dataclass(frozen=True)
class OpenedMessage:
    author: str
    sent_on: str
    body: str


@dataclass(frozen=True)
class OpenedCase:
    case_id: str
    category: str
    status: str
    received_on: str
    report: dict[str, Any]
    messages: list[OpenedMessage]
    files: list[str]
    readable: bool = True  # False: the grant does not open this case or its report


def _bytes(value: object) -> bytes:
    if not isinstance(value, str):
        raise ExportError("this file is not a hotline export")
    return base64.b64decode(value, validate=True)


def unlock(document: dict[str, Any], password: str) -> HandlerPrivateKeys:
    if document.get("format") != FORMAT:
        raise ExportError("this file is not a hotline export")
    handler = document["handler"]
    params = Argon2Params(ops=int(handler["kdf_ops"]), mem_bytes=int(handler["kdf_mem"]))
    derived = handler_keys.password_secrets(password, _bytes(handler["kdf_salt"]), params)
    try:
        return handler_keys.unwrap_private(_bytes(handler["wrapped_private"]), derived.unwrap_key)
    except DecryptionError as exc:
        raise ExportError("wrong password for this export") from exc


def open_cases(document: dict[str, Any], password: str) -> list[OpenedCase]:
    private = unlock(document, password)
    handler_id = int(document["handler"]["handler_id"])
    opened = []
    for item in document["cases"]:
        case_id = str(item["case_id"])
        try:
            case_key = open_grant(
                _bytes(item["grant"]), private, GrantFor(CASE_KEY, case_id, handler_id)
            )
            report = sealing.open_report(case_key, _bytes(item["sealed_report"]), case_id)
        except CryptoError:
            opened.append(
                OpenedCase(
                    case_id,
                    item["category"],
                    item["status"],
                    item["received_on"],
                    {},
                    [],
                    [],
                    readable=False,
                )
            )
            continue
        messages = [
            OpenedMessage(m["author"], m["sent_on"], _message(case_key, case_id, m))
            for m in item["messages"]
        ]
        files = [_file_name(case_key, case_id, f) for f in item["files"]]
        opened.append(
            OpenedCase(
                item["case_id"],
                item["category"],
                item["status"],
                item["received_on"],
                report,
                messages,
                files,
            )
        )
    return opened


def _message(case_key: bytes, case_id: str, message: dict[str, Any]) -> str:
    try:
        return sealing.open_message(
            case_key,
            _bytes(message["sealed_body"]),
            case_id,
            str(message["author_id"]),
            int(message["seq"]),
        )
    except CryptoError:
        return UNREADABLE


def _file_name(case_key: bytes, case_id: str, item: dict[str, Any]) -> str:
    try:
        meta = sealing.open_attachment_meta(case_key, _bytes(item["sealed_meta"]), case_id)
    except CryptoError:
        return "file"
    name = meta.get("name")
    return name if isinstance(name, str) and name else "file"


def render(case: OpenedCase) -> str:
    lines = [
        f"Case {case.case_id}  category {case.category}  status {case.status}  "
        f"received {case.received_on}"
    ]
    if not case.readable:
        return "\n".join([*lines, "", UNOPENED]) + "\n"
    for name, text in case.report.get("fields", {}).items():
        lines += ["", f"[{name}]", str(text)]
    for m in case.messages:
        lines += ["", f"--- {m.author}, {m.sent_on} ---", m.body]
    if case.files:
        lines += ["", "Files (open them in the console): " + ", ".join(case.files)]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").split("\n", 1)[0])
    parser.add_argument("export", type=Path)
    parser.add_argument("--case", default=None, help="Show only this case.")
    parser.add_argument("--password-stdin", action="store_true")
    args = parser.parse_args(argv)
    try:
        document = json.loads(args.export.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        print(f"cannot read {args.export}: {type(exc).__name__}", file=sys.stderr)
        return 2
    if args.password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = getpass.getpass("Password: ")
    try:
        cases = open_cases(document, password)
    except (ExportError, KeyError, ValueError, DecryptionError) as exc:
        message = str(exc) if isinstance(exc, ExportError) else "this export is damaged"
        print(message, file=sys.stderr)
        return 1
    shown = [c for c in cases if args.case in (None, c.case_id)]
    if not shown:
        print("no such case in this export" if args.case else "no cases in this export")
        return 1 if args.case else 0
    print("\n".join(render(c) for c in shown), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
