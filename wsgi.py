"""Entry point for gunicorn and `flask --app wsgi`.

An unusable configuration (or a pepper that does not match the database) prints its
message, one line per problem, and exits with status 3 (gunicorn's "worker failed to
boot": the master stops instead of restarting workers that cannot start).
"""

import sys

from hotline import create_app
from hotline.config import ConfigError

try:
    app = create_app()
except ConfigError as error:
    print(f"hotline: {error}", file=sys.stderr)
    raise SystemExit(3) from None
