"""Structured, content-free logging.

Each line is JSON with the event name and only allow-listed fields (ids, counts, channel,
category). Exceptions are logged by type and location, never by message or locals, since
a message could quote user input. Werkzeug's access log, which carries client addresses,
is silenced.

Logs go to standard error. Inside a `flask` command, whose standard output is for people,
only warnings and errors are written: a command's own output never has log lines in it.
"""

from __future__ import annotations

import json
import logging
import sys
import traceback
from datetime import UTC, datetime
from typing import Any, TextIO

import click

ALLOWED_FIELDS = frozenset(
    {
        "case_id",
        "channel",
        "category",
        "grants",
        "handler_id",
        "desk",
        "attempt",
        "status",
        "endpoint",
        "method",
        "code",
        "count",
        "limit",
        "reason",
        "kind",
    }
)
_OUR_PREFIX = "hotline"
# Events a reporter's action causes. Their time, paired with a case id, would tie a case to
# the second it arrived or was reopened: they never carry a case id and their timestamp is
# the day only. (The services also log them at debug level only, so at the default level
# not even a line's position in the file marks when a report came in.)
REPORTER_EVENTS = frozenset(
    {
        "case.received",
        "case.reporter_opened",
        "case.reporter_message",
        "intake.replayed",
        "followup.unwrap_failed",
    }
)
_configured = False


class ContentFreeFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        ours = record.name.startswith(_OUR_PREFIX)
        reporter_side = ours and str(record.msg) in REPORTER_EVENTS
        when = datetime.fromtimestamp(record.created, UTC)
        entry: dict[str, Any] = {
            "ts": when.strftime("%Y-%m-%d" if reporter_side else "%Y-%m-%dT%H:%M:%SZ"),
            "level": record.levelname.lower(),
            "logger": record.name,
        }
        if ours:
            entry["event"] = str(record.msg)
            fields = ALLOWED_FIELDS - {"case_id"} if reporter_side else ALLOWED_FIELDS
            for key in fields & record.__dict__.keys():
                value = record.__dict__[key]
                if isinstance(value, (str, int, float, bool)) or value is None:
                    entry[key] = value
        else:
            # Third-party messages are reduced to their template, never the filled-in args.
            entry["event"] = str(record.msg)[:200]
        if record.exc_info and record.exc_info[0] is not None:
            entry["exception"] = record.exc_info[0].__name__
            frames = traceback.extract_tb(record.exc_info[2])[-3:]
            entry["where"] = [f"{f.filename.rsplit('/', 2)[-1]}:{f.lineno}" for f in frames]
        return json.dumps(entry, ensure_ascii=False)


class _ForPeopleInCommands(ContentFreeFormatter):
    """The same content-free entry; inside a `flask` command, whose reader is a person at a
    terminal, one plain line (`warning: <reason>`) instead of a JSON object."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        if not in_command():
            return text
        entry = json.loads(text)
        return f"{entry['level']}: {entry.get('reason') or entry['event']}"


class _CurrentStderr(logging.StreamHandler):  # type: ignore[type-arg]
    """Writes to whatever sys.stderr is at the time (a command runner may have replaced it)."""

    @property
    def stream(self) -> TextIO:
        return sys.stderr

    @stream.setter
    def stream(self, _value: TextIO) -> None:
        pass


def in_command() -> bool:
    """True while a `flask` (click) command is being resolved or run in this thread."""
    return click.get_current_context(silent=True) is not None


class _CommandsWarnOnly(logging.Filter):
    """Inside a command, pass only warnings and worse; elsewhere pass everything."""

    def filter(self, record: logging.LogRecord) -> bool:
        return record.levelno >= logging.WARNING or not in_command()


def configure(level: str = "INFO") -> None:
    global _configured
    root = logging.getLogger()
    if not _configured:
        handler = _CurrentStderr()
        handler.setFormatter(_ForPeopleInCommands())
        handler.addFilter(_CommandsWarnOnly())
        root.addHandler(handler)
        _configured = True
    logging.getLogger(_OUR_PREFIX).setLevel(level.upper())
    logging.getLogger("werkzeug").setLevel(logging.WARNING)
