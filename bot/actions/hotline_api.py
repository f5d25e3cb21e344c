"""Client of the Flask channel API on loopback: timeouts, retries with one idempotency key.

Errors are typed; nothing here logs a request or response body.
"""

from __future__ import annotations

import json
import logging
import os
import time
import urllib.error
import urllib.request
from typing import Any, Dict, Optional

log = logging.getLogger(__name__)

API_URL = os.environ.get("HOTLINE_API_URL", "http://127.0.0.1:8000").rstrip("/")
TIMEOUT_SECONDS = float(os.environ.get("HOTLINE_API_TIMEOUT", "10"))
ATTEMPTS = 3


class ApiError(Exception):
    def __init__(self, status: int, code: str) -> None:
        super().__init__(f"{status} {code}")
        self.status = status
        self.code = code


def _token() -> str:
    token = os.environ.get("HOTLINE_CHANNEL_TOKEN", "")
    if not token:
        raise ApiError(503, "channel_token_missing")
    return token


def call(path: str, payload: Dict[str, Any], session_id: str = "",
         retry: bool = True) -> Dict[str, Any]:
    """POST JSON; retry network failures and 5xx (same payload, so the same idempotency key)."""
    body = json.dumps(payload).encode("utf-8")
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {_token()}"}
    if session_id:
        headers["X-Hotline-Session"] = session_id
    last: Optional[ApiError] = None
    for attempt in range(ATTEMPTS if retry else 1):
        request = urllib.request.Request(API_URL + path, data=body, headers=headers,
                                         method="POST")
        try:
            with urllib.request.urlopen(request, timeout=TIMEOUT_SECONDS) as response:
                return json.loads(response.read().decode("utf-8"))
        except urllib.error.HTTPError as error:
            try:
                code = json.loads(error.read().decode("utf-8")).get("error", "error")
            except Exception:
                code = "error"
            last = ApiError(error.code, code)
            if error.code < 500:
                raise last from None
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            last = ApiError(503, type(error).__name__)
        log.warning("hotline API attempt %d failed (%s)", attempt + 1,
                    last.code if last else "?")
        time.sleep(0.5 * (attempt + 1))
    raise last or ApiError(503, "unavailable")
