"""Test helpers, one module per job:

- `config`: cheap Argon2 parameters, generous limits, the local PostgreSQL and Redis
- `stores`: throwaway databases and their raw bytes, log capture, a spy on written paths
- `plaintext`: the ledger of what must never be stored, and the scan for it
- `world`: a migrated database with its app, handlers and ledger, scanned when it ends
- `http`: base64 and JSON-body helpers, clients at a chosen address
- `console`: the handler console's browser side (sign-in, TOTP, grants) in Python
- `sms`: Twilio-signed requests and a recording Twilio HTTP client
- `live_server`: the real app in a thread for browser tests, scanned when it ends
- `live_app`, `botprocs`: the app and the Rasa bot in their own processes

The names most tests use are importable from `tests.support` directly.
"""

from tests.support.config import CHEAP_ARGON, GENEROUS_LIMITS, PG_ADMIN_URL, REDIS_URL, config_for
from tests.support.http import b64, body, client_at, unb64
from tests.support.plaintext import (
    Ledger,
    PlaintextLeak,
    find_plaintext,
    needle_forms,
    phone_forms,
    receipt_forms,
)
from tests.support.stores import LogCapture, fresh_database, paths_written, raw_database_bytes

__all__ = [
    "CHEAP_ARGON",
    "GENEROUS_LIMITS",
    "PG_ADMIN_URL",
    "REDIS_URL",
    "Ledger",
    "LogCapture",
    "PlaintextLeak",
    "b64",
    "body",
    "client_at",
    "config_for",
    "find_plaintext",
    "fresh_database",
    "needle_forms",
    "paths_written",
    "phone_forms",
    "raw_database_bytes",
    "receipt_forms",
    "unb64",
]
