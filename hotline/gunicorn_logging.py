"""gunicorn's error log without client addresses or request lines.

gunicorn writes "Invalid request from ip=<address>: <error>" (the error may quote the
request line) and "Error handling request <method> <uri>". This logger class rewrites those
to fixed texts and masks anything shaped like an IP address in every other line, so the
error log can be kept; the access log is off (gunicorn.conf.py).
"""

from __future__ import annotations

import logging
import re
from typing import Any

from gunicorn.glogging import Logger

_IPV4 = re.compile(r"\b(?:\d{1,3}\.){3}\d{1,3}\b")
_IPV6 = re.compile(r"(?<![\w:])(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![\w:])")
_FIXED = (
    (re.compile(r"^Invalid request from ip=.*", re.S), "Invalid request (details withheld)"),
    (re.compile(r"^Error handling request.*", re.S), "Error handling request (details withheld)"),
)


def scrub(message: str) -> str:
    for pattern, replacement in _FIXED:
        if pattern.match(message):
            return replacement
    return _IPV6.sub("[address]", _IPV4.sub("[address]", message))


class AddressFreeFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        record.msg, record.args = scrub(message), None
        return True


class AddressFreeLogger(Logger):  # type: ignore[misc]
    """gunicorn's Logger with the filter on its error log; no access log lines at all."""

    def setup(self, cfg: Any) -> None:
        super().setup(cfg)
        self.error_log.addFilter(AddressFreeFilter())
        for handler in self.error_log.handlers:
            handler.addFilter(AddressFreeFilter())

    def access(self, *_args: Any, **_kwargs: Any) -> None:
        return None
