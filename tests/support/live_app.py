"""Serve a throwaway hotline (migrated SQLite, routing, one handler per desk) for tests that
run in another process, such as the bot's tests in its own venv.

    .venv/bin/python -m tests.support.live_app --port 0 --instance DIR

Prints one JSON line {"url", "token", "instance", "handlers": {username: password}} and
serves until killed. Cheap Argon2 parameters: tests only.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from werkzeug.serving import make_server

from hotline import create_app, db, migrate, wiring
from hotline.services import accounts, routing
from tests.support import config_for

HANDLERS = {
    "comp.one": ("compliance", "compliance-one-pass-7x!"),
    "harass.one": ("harassment", "harassment-one-pass-1a"),
    "audit.one": ("audit_committee", "audit-one-pass-9z!!"),
    "privacy.one": ("data_protection", "privacy-one-pass-2b!"),
    "ombuds.one": ("ombudsperson", "ombudsperson-pass-3c!"),
}


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--instance", required=True)
    parser.add_argument("--rasa-url", default="http://127.0.0.1:5005")
    parser.add_argument("--twilio-token", default="")
    args = parser.parse_args()
    instance = Path(args.instance)
    instance.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{instance / 'hotline.db'}"
    migrate.upgrade(url)
    app = create_app(
        config_for(
            url,
            instance / "instance",
            RASA_URL=args.rasa_url,
            REPORT_RATE_LIMIT="1000 per minute",
            RECEIPT_RATE_LIMIT="1000 per minute",
            SMS_RATE_LIMIT="10000 per minute",
            CHAT_RATE_LIMIT="10000 per minute",
            TWILIO_AUTH_TOKEN=args.twilio_token,
            PUBLIC_URL=f"http://127.0.0.1:{args.port}",
        )
    )
    with app.app_context():
        routing.load_policy(db.session(), Path(wiring.settings(app).routing_file))
        for username, (desk, password) in HANDLERS.items():
            accounts.create_handler(
                db.session(), wiring.services(app).context, username, desk, password
            )
    server = make_server("127.0.0.1", args.port, app, threaded=True)
    print(
        json.dumps(
            {
                "url": f"http://127.0.0.1:{server.server_port}",
                "token": wiring.settings(app).channel_token,
                "instance": str(instance),
                "database": url,
                "handlers": {u: p for u, (_, p) in HANDLERS.items()},
            }
        ),
        flush=True,
    )
    sys.stdout.flush()
    server.serve_forever()


if __name__ == "__main__":
    main()
