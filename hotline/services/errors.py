"""Typed service failures; the views map each to a status and a clear message."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"
    status = 400

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    code = "invalid_input"


class UnknownCategory(ServiceError):
    code = "unknown_category"


class InvalidReceiptCode(ServiceError):
    code = "invalid_receipt"


RECEIPT_NOT_FOUND = "no case matches this receipt; check the 16 digits and try again"


class ReceiptNotFound(ServiceError):
    """The same answer for every wrong receipt, whichever path was used."""

    code = "receipt_not_found"
    status = 404


class NoRecipients(ServiceError):
    """No active handler could receive the case: refuse rather than store an unreadable case."""

    code = "no_recipients"
    status = 503


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"
    status = 401


class NotGranted(ServiceError):
    code = "not_granted"
    status = 403


class NotFound(ServiceError):
    code = "not_found"
    status = 404


class Conflict(ServiceError):
    code = "conflict"
    status = 409
