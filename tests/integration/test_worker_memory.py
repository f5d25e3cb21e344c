"""A web worker loads only what serving requests needs: the libraries of the job worker,
migrations, TOTP enrolment and image cleaning, and the operators' commands
(hotline/cli_lazy.py), are imported where they are used, which keeps ~26 MiB out of every
worker's resident memory (its Argon2id run adds 64 MiB on top)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
ONLY_WHERE_USED = (
    *("alembic", "mako", "rq", "qrcode", "twilio.rest", "requests", "PIL"),
    *("hotline.cli", "hotline.cli_audit", "hotline.cli_backup", "hotline.cli_demo"),
    *("hotline.cli_jobs", "hotline.cli_keys", "hotline.cli_sms", "hotline.cli_web"),
    *("hotline.backup", "hotline.services.demo", "hotline.services.offline_export"),
)

PROBE = """
import json, sys
from hotline import create_app
from tests.support import config_for
create_app(config_for("sqlite://", __import__("pathlib").Path(sys.argv[1])))
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] in {names!r}
                        or m in {names!r})))
"""


def test_a_web_worker_imports_no_job_migration_or_image_library(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", PROBE.format(names=set(ONLY_WHERE_USED)), str(tmp_path)],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    loaded = json.loads(done.stdout.strip().splitlines()[-1])
    assert not [m for m in loaded if m.split(".")[0] in ONLY_WHERE_USED or m in ONLY_WHERE_USED]
