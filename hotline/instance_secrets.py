"""The instance's secrets: each from an override, `HOTLINE_<NAME>`, a file that
`HOTLINE_<NAME>_FILE` names, or else `<instance>/secrets.json` (made on first run, 0600)."""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from hotline.config_values import ConfigError

SECRET_SIZES = {
    "SECRET_KEY": 32,
    "PEPPER": 32,
    "CHANNEL_TOKEN": 32,
    "RECEIPT_SALT": 16,
    "PSEUDONYM_KEY": 32,
}
# Secrets given as hex and used as keys (the channel token is compared as text, and may be
# empty to turn the channel API off).
HEX_SECRETS = ("SECRET_KEY", "PEPPER", "RECEIPT_SALT", "PSEUDONYM_KEY")


def load_secrets(instance: Path, given: Mapping[str, Any]) -> tuple[dict[str, str], dict[str, str]]:
    """Each secret: explicit override, else HOTLINE_<NAME>, else the file HOTLINE_<NAME>_FILE
    names, else the instance file (made if absent). Also says where each came from."""
    path = instance / "secrets.json"
    stored: dict[str, str] = {}
    if path.exists():
        try:
            stored = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as error:
            raise ConfigError(f"{path} cannot be read: {error}") from None
    changed = False
    result: dict[str, str] = {}
    sources: dict[str, str] = {}
    for name in SECRET_SIZES:
        if name in given:
            value = given[name]
            result[name] = value.hex() if isinstance(value, bytes) else str(value)
            sources[name] = "override"
            continue
        env_value = os.environ.get(f"HOTLINE_{name}")
        if env_value is not None:
            result[name], sources[name] = env_value, "environment"
            continue
        file_name = os.environ.get(f"HOTLINE_{name}_FILE")
        if file_name:
            try:
                result[name] = Path(file_name).read_text(encoding="utf-8").strip()
            except OSError as error:
                raise ConfigError(f"HOTLINE_{name}_FILE cannot be read: {error}") from None
            sources[name] = f"file:{file_name}"
            continue
        sources[name] = "instance"
        if name not in stored:
            stored[name] = secrets.token_hex(SECRET_SIZES[name])
            changed = True
        result[name] = stored[name]
    if changed:
        write_private(path, json.dumps(stored, indent=2))
    return result, sources


def write_private(path: Path, text: str) -> None:
    tmp = path.with_suffix(".tmp")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def secret_bytes(value: str | bytes, name: str, size: int) -> bytes:
    """Secrets are given as hex; decode and check length."""
    if isinstance(value, bytes):
        raw = value
    else:
        try:
            raw = bytes.fromhex(value)
        except ValueError:
            raise ConfigError(f"HOTLINE_{name} must be hex") from None
    if len(raw) < size:
        raise ConfigError(f"HOTLINE_{name} must be at least {size} bytes of hex")
    return raw
