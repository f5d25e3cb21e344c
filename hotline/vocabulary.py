"""The hotline's words, each defined once: report fields in form order, case statuses and
closing outcomes, channels, and what each error code tells a person.

Python, the templates and the page scripts all read these definitions: views and templates
through `hotline.views.words`, the browser through the JSON `words.browser()` puts in every
page (web/js/vocabulary.js reads it). Labels are only marked here (`N_`) and translated
where they are shown, so this module needs no request and no Flask: services import it too.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hotline.models.case import CaseStatus, Channel


def N_(text: str) -> str:
    """Mark `text` for the catalogue; it is translated where it is shown."""
    return text


#: The report's fields, in the order of the form (the follow-up page and the console use it).
REPORT_FIELDS = ("what_happened", "when", "where", "who", "how_known")
REQUIRED_FIELDS = ("what_happened",)
FIELD_LABELS = {
    "what_happened": N_("What happened?"),
    "when": N_("When did it happen?"),
    "where": N_("Where did it happen?"),
    "who": N_("Who is involved?"),
    "how_known": N_("How do you know about it?"),
}
#: Labels of other inputs an error can name (the no-JavaScript pages show them).
INPUT_LABELS = {
    **FIELD_LABELS,
    "body": N_("Your message"),
    "category": N_("Category"),
    "attachments": N_("Files"),
}

#: ISO 37002's path, in order (the workflow refuses to go back); the values are the model's.
STATUSES = tuple(status.value for status in CaseStatus)
STATUS_LABELS = {
    "received": N_("Received"),
    "acknowledged": N_("Acknowledged"),
    "assessing": N_("Being assessed"),
    "investigating": N_("Under investigation"),
    "closed": N_("Closed"),
}
OUTCOMES = ("substantiated", "partly_substantiated", "unsubstantiated", "not_actionable")
OUTCOME_LABELS = {
    "substantiated": N_("Substantiated"),
    "partly_substantiated": N_("Partly substantiated"),
    "unsubstantiated": N_("Unsubstantiated"),
    "not_actionable": N_("Not actionable"),
}
CHANNELS = tuple(channel.value for channel in Channel)
CHANNEL_LABELS = {"web": N_("Web form"), "chat": N_("Chat"), "sms": N_("SMS")}

#: What a person reads for each error code a service or the API gives (`ServiceError.code`).
ERROR_MESSAGES = {
    "invalid_receipt": N_(
        "That receipt is not valid. Check the 16 digits: the last one is a check digit, "
        "so a typo is caught here."
    ),
    "receipt_not_found": N_("No case matches this receipt. Check the 16 digits and try again."),
    "too_many_attempts": N_("Too many failed attempts. Please wait a few minutes and try again."),
    "rate_limited": N_("Too many attempts. Please wait a little and try again."),
    "unknown_category": N_("Please choose a category."),
    "no_recipients": N_(
        "No one can receive this report right now. Please try again later or use another "
        "way to report."
    ),
    "keys_not_verified": N_(
        "The handlers' encryption keys could not be verified against the organisation's "
        "signing key, so nothing was sent. Please try again later or use another way to "
        "report."
    ),
    "invalid_credentials": N_("Unknown username, wrong password or wrong code."),
    "not_granted": N_("This case is not assigned to you."),
    "conflict": N_("This is not possible in the case's current state."),
    "not_signed_in": N_("Your session ended. Please sign in again."),
    "unreadable_image": N_(
        "An image could not be read. Please send it in another format or leave it out."
    ),
    "image_too_large": N_(
        "This picture is too large: it has more megapixels than we accept. "
        "Please send a smaller one."
    ),
    "images_busy": N_("The server is busy with other pictures. Please try again in a moment."),
    "unreadable_file": N_(
        "This file is damaged or incomplete and cannot be opened. Nothing of it was sent."
    ),
}
#: For `invalid_input`, by `InvalidInput.reason`; `%(field)s` is the input's label.
INPUT_ERROR_MESSAGES = {
    "too_long": N_("“%(field)s” is too long."),
    "required": N_("Please fill in “%(field)s”."),
    "invalid": N_("“%(field)s” could not be accepted."),
}


def browser(gettext: Callable[[str], str]) -> dict[str, Any]:
    """The vocabulary as the page scripts read it, translated with `gettext`.

    Orders travel as lists: the JSON a template writes has its keys sorted.
    """

    def labels(words: dict[str, str]) -> dict[str, str]:
        return {key: gettext(text) for key, text in words.items()}

    return {
        "field_order": list(REPORT_FIELDS),
        "fields": labels(FIELD_LABELS),
        "status_order": list(STATUSES),
        "status": labels(STATUS_LABELS),
        "outcome_order": list(OUTCOMES),
        "outcome": labels(OUTCOME_LABELS),
        "channel": labels(CHANNEL_LABELS),
        "errors": labels(ERROR_MESSAGES),
    }
