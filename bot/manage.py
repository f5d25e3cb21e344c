"""Bot housekeeping: is the trained model stale? how well does it do on held-out
conversations?

    python bot/manage.py stale     exit 0 if the model must be (re)trained, 1 if it is current
    python bot/manage.py stamp     record the training inputs' fingerprint after training
    python bot/manage.py evaluate  run tests/conversations/*.yml against the trained model, the
                                   action server and a real hotline app (bot venv; see
                                   evaluate.py); -v lists every conversation, ids select some
"""

from __future__ import annotations

import hashlib
import sys
from pathlib import Path

import evaluate  # bot/evaluate.py, beside this file

BOT = Path(__file__).resolve().parent
MODEL = BOT / "models" / "hotline.tar.gz"
STAMP = BOT / "models" / "hotline.inputs"
INPUTS = ["config.yml", "domain.yml", *sorted(str(p.relative_to(BOT)) for p in
                                                (BOT / "data").glob("*.yml"))]


def fingerprint() -> str:
    digest = hashlib.sha256()
    for name in INPUTS:
        digest.update(name.encode() + b"\0" + (BOT / name).read_bytes() + b"\0")
    return digest.hexdigest()


def main(argv: list[str]) -> int:
    command = argv[1] if len(argv) > 1 else ""
    if command == "stale":
        current = STAMP.read_text().strip() if STAMP.exists() else ""
        return 0 if not MODEL.exists() or current != fingerprint() else 1
    if command == "stamp":
        STAMP.write_text(fingerprint() + "\n")
        return 0
    if command == "evaluate":
        return evaluate.main(argv[2:])
    print(__doc__)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
