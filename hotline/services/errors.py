"""Typed domain failures. Services raise them; the web edge (`hotline.http_errors`) maps each
class to an HTTP status, and channels (SMS, chat) to their own replies. No HTTP here."""

from __future__ import annotations


class ServiceError(Exception):
    code = "error"

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


class InvalidInput(ServiceError):
    """Bad input; `reason` (one of `vocabulary.INPUT_ERROR_MESSAGES`) says how, in a word."""

    code = "invalid_input"

    def __init__(self, message: str, field: str | None = None, reason: str = "invalid") -> None:
        super().__init__(message, field)
        self.reason = reason


class UnknownCategory(ServiceError):
    code = "unknown_category"


class InvalidReceiptCode(ServiceError):
    code = "invalid_receipt"


RECEIPT_NOT_FOUND = "no case matches this receipt; check the 16 digits and try again"


class ReceiptNotFound(ServiceError):
    """The same answer for every wrong receipt, whichever path was used."""

    code = "receipt_not_found"


class NoRecipients(ServiceError):
    """No active handler could receive the case: refuse rather than store an unreadable case."""

    code = "no_recipients"


class KeysNotVerified(ServiceError):
    """The key directory or a recipient's keys do not verify against the organisation root:
    nothing may be sealed or granted to them."""

    code = "keys_not_verified"


class InvalidCredentials(ServiceError):
    code = "invalid_credentials"


class NotGranted(ServiceError):
    code = "not_granted"


class NotFound(ServiceError):
    code = "not_found"


class NoSuchCase(NotGranted):
    """No case with this id that this handler may open: unknown, another desk's, held back
    until escalation, or excluded. One answer for all (a 404, like an unknown id), so a
    handler cannot probe which case ids exist."""

    code = "not_found"

    def __init__(self) -> None:
        super().__init__("no such case", field="case_id")


class Conflict(ServiceError):
    code = "conflict"


class StaleSequence(Conflict):
    """A message or note was sealed for a place in order that another one took first: reload
    the case and seal it again for the next number."""

    code = "stale_sequence"


class NotesKeyExists(Conflict):
    """Another handler made the case's notes key first: reload the case and use theirs."""

    code = "notes_key_exists"


class HoldersChanged(Conflict):
    """Grants were made for a set of handlers that is not (or no longer) the case's current
    holders: reload the case and try again."""

    code = "holders_changed"


class TooLarge(ServiceError):
    """An upload or a request beyond its size limit."""

    code = "too_large"


class FileTooLarge(TooLarge):
    def __init__(self, limit_bytes: int) -> None:
        super().__init__(
            "a file is too large: the limit is "
            f"{max(1, limit_bytes // 1_000_000)} MB per file; please send a smaller one",
            field="attachments",
        )


class TooManyFiles(TooLarge):
    def __init__(self, limit: int) -> None:
        super().__init__(
            f"the request is too large: at most {limit} files may be attached", field="attachments"
        )


class UnreadableImage(InvalidInput):
    code = "unreadable_image"


class ImageTooLarge(TooLarge):
    """More pixels than the configured limit, refused from the header before decoding."""

    code = "image_too_large"

    def __init__(self, max_pixels: int) -> None:
        super().__init__(
            f"the image is too large: at most {max_pixels // 1_000_000} megapixels are "
            "accepted; please send a smaller picture",
            field="attachments",
        )
        self.max_pixels = max_pixels


class UnreadableFile(ServiceError):
    """A stored file did not pass its check (a block altered or missing, the end cut off):
    nothing of it is sent."""

    code = "unreadable_file"

    def __init__(self) -> None:
        super().__init__(
            "this file is damaged or incomplete and cannot be opened; nothing of it was sent",
            field="attachment",
        )


class ImagesBusy(ServiceError):
    """Every image slot stayed taken for the whole wait: try again shortly."""

    code = "images_busy"
