"""Wrap every receipt attempt: refuse while a growing delay runs, count wrong receipts."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from hotline import wiring
from hotline.limits import client_key
from hotline.services.errors import ReceiptNotFound
from hotline.services.throttle import ReceiptThrottle

T = TypeVar("T")


def guarded(attempt: Callable[[], T]) -> T:
    throttle: ReceiptThrottle = wiring.services().throttle
    client = client_key()
    throttle.check(client)
    try:
        result = attempt()
    except ReceiptNotFound:
        throttle.failed(client)
        raise
    # No reset on success: one valid receipt must not buy fresh guesses. Failures fade.
    return result
