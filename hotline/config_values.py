"""How one setting's raw value (environment text or a test override) becomes its typed
value, and what is wrong with it; the error every configuration problem raises."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from limits import parse_many


class ConfigError(RuntimeError):
    """The configuration is unusable; the app refuses to start. The message is for the
    operator: one line per problem, each naming the variable to fix."""


def parse_value(item: Any, value: Any) -> Any:
    """One raw value (environment text or an override) as the setting's type."""
    kind = item.metadata.get("kind", "")
    declared = str(item.type)
    if kind == "intervals":
        items = value if isinstance(value, (tuple, list)) else str(value).split(",")
        try:
            parts = tuple(int(str(p).strip()) for p in items if str(p).strip())
        except ValueError:
            parts = (-1,)
        if any(p < 0 for p in parts):
            raise ValueError("must be seconds, comma-separated, none negative (e.g. 30,120,600)")
        return parts
    if declared == "bool":
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "yes", "on"):
            return True
        if text in ("0", "false", "no", "off"):
            return False
        raise ValueError(f"must be 1 or 0 (got {str(value)!r})")
    if declared == "int":
        if isinstance(value, bool):
            raise ValueError("must be an integer")
        try:
            return int(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be an integer (got {str(value)!r})") from None
    if declared == "float":
        try:
            return float(value)
        except (TypeError, ValueError):
            raise ValueError(f"must be a number (got {str(value)!r})") from None
    if declared == "Path":
        return Path(str(value))
    if isinstance(value, bytes):
        return value.hex()
    return str(value)


def check_value(item: Any, value: Any) -> str | None:
    """What is wrong with one parsed value, or None."""
    least, most = item.metadata.get("least"), item.metadata.get("most")
    if least is not None and value < least:
        return f"must be at least {least} (got {value})"
    if most is not None and value > most:
        return f"must be at most {most} (got {value})"
    if item.metadata.get("kind") == "rate":
        try:
            parsed = parse_many(value)
        except ValueError:
            parsed = []
        if not parsed:
            return f"is not a rate limit like '10 per minute;100 per hour' (got {value!r})"
    return None
