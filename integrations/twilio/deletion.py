"""Delete message bodies at Twilio after intake, so the report does not stay there."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from twilio.http import HttpClient

# twilio.rest and requests are imported when a cleaner is made (the job worker), not in
# every web worker that merely imports the job table: about 10 MiB of resident memory each.


class DeletionFailed(Exception):
    pass


class TwilioCleaner:
    def __init__(
        self, account_sid: str, auth_token: str, http_client: HttpClient | None = None
    ) -> None:
        from twilio.rest import Client

        self._client = Client(account_sid, auth_token, http_client=http_client)

    def delete(self, message_sid: str) -> None:
        from twilio.base.exceptions import TwilioRestException

        try:
            self._client.messages(message_sid).delete()
        except TwilioRestException as exc:
            if exc.status == 404:  # already gone
                return
            raise DeletionFailed(f"status {exc.status}") from None
        except Exception as exc:
            raise DeletionFailed(type(exc).__name__) from None

    def outbound_sids(self, to_number: str, limit: int = 20) -> list[str]:
        """Our replies to this number (TwiML replies get SIDs only Twilio knows)."""
        try:
            return [str(m.sid) for m in self._client.messages.list(to=to_number, limit=limit)]
        except Exception as exc:
            raise DeletionFailed(type(exc).__name__) from None
