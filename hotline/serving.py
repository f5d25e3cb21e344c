"""How every launcher starts the web server and the host's Argon2id pool: production's
systemd units and image, `make run`, `make prod-smoke` and the load benchmark.

gunicorn runs under `python -OO`: no docstrings (SQLAlchemy's alone are megabytes) and no
`assert` in any worker, about 7 MiB less per worker, which matters beside the 64 MiB each
Argon2id run holds (docs/operations.md, "Load"). The app never relies on `assert`
(tests/unit/test_no_asserts.py); `make setup` compiles the optimised bytecode once.
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OPTIMISE = "-OO"


def argon2_pool_command(python: Path | str, socket: Path | str) -> list[str]:
    """The host's Argon2id pool (crypto/argon2_pool.py), one slot per core."""
    return [str(python), OPTIMISE, "-m", "crypto.argon2_pool", "--socket", str(socket)]


def gunicorn_command(python: Path | str, *options: str) -> list[str]:
    """gunicorn with gunicorn.conf.py serving wsgi:app; `options` override the file's."""
    return [
        str(python),
        OPTIMISE,
        "-m",
        "gunicorn",
        "--config",
        str(ROOT / "gunicorn.conf.py"),
        *options,
        "wsgi:app",
    ]
