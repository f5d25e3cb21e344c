"""Failed sign-ins cost time: per account, whoever tries and from wherever, and per account
and client.

Every wrong password, code or recovery key counts twice, in the shared store (Redis in
production, so every worker sees the same counts): once for the username alone, once for
the username with the client. Past a few free failures each starts a growing delay (2, 4, 8
… seconds, up to the configured cap); failures fade out over an hour, and the owner's full
sign-in (password and code) clears them.

The account's budget is a delay, never a lockout: a stranger who knows a username can slow
that account's sign-ins to one try per delay (at most the cap, 5 minutes by default) for as
long as they keep failing, but can never shut its owner out for good, and changing address
buys them no fresh tries. The per-client budget starts its delay sooner, so one noisy client
is slowed before the account is. Only keyed tags of the username (and of the day's client
hash) reach the store.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeVar

from crypto.pepper import Pepper
from hotline.services.errors import InvalidCredentials
from hotline.services.throttle import ReceiptThrottle, Throttled

T = TypeVar("T")

#: Failures for the account as a whole before its delay starts (the per-client throttle,
#: made by the app factory, starts sooner).
ACCOUNT_FREE_FAILURES = 10


class SigninThrottled(Throttled):
    """Too many failed sign-ins for this account (from anywhere) or from this client."""

    def __init__(self, retry_after: int) -> None:
        super().__init__(retry_after)
        self.message = f"too many failed sign-ins; wait {retry_after} seconds and try again"


@dataclass(frozen=True)
class SigninBudget:
    per_client: ReceiptThrottle
    per_account: ReceiptThrottle
    pepper: Pepper

    def _keys(self, username: str, client: str) -> list[tuple[ReceiptThrottle, str]]:
        name = username.encode("utf-8", "replace")
        account = self.pepper.tag("signin-account", name).hex()[:32]
        pair = self.pepper.tag("signin-client", name + b"\x00" + client.encode()).hex()[:32]
        return [(self.per_account, f"login-account:{account}"), (self.per_client, f"login:{pair}")]

    def attempt(self, username: str, client: str, work: Callable[[], T]) -> T:
        """Run one sign-in step: refused while a delay runs, counted when it fails."""
        keys = self._keys(username, client)
        try:
            for throttle, key in keys:
                throttle.check(key)
        except Throttled as error:
            raise SigninThrottled(error.retry_after) from None
        try:
            result = work()
        except InvalidCredentials:
            for throttle, key in keys:
                throttle.failed(key)
            raise
        for throttle, key in keys:
            throttle.succeeded(key)
        return result


def budget(per_client: ReceiptThrottle, pepper: Pepper) -> SigninBudget:
    """The sign-in budget over the per-client throttle's store and cap."""
    per_account = ReceiptThrottle(per_client.store, ACCOUNT_FREE_FAILURES, per_client.max_delay)
    return SigninBudget(per_client, per_account, pepper)
