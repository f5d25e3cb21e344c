"""What services need from configuration, as one plain object (no Flask inside services)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from hotline.key_trust import KeyTrust
from hotline.keyring import Keyring


@dataclass(frozen=True)
class ServiceContext:
    keyring: Keyring
    keys: KeyTrust = field(default_factory=lambda: KeyTrust(root=None))
    max_field_chars: int = 20_000
    acknowledge_days: int = 7
    feedback_months: int = 3

    @classmethod
    def from_config(cls, config: dict[str, Any]) -> ServiceContext:
        return cls(
            keyring=Keyring.from_config(config),
            keys=KeyTrust.from_config(config),
            max_field_chars=int(config["MAX_FIELD_CHARS"]),
            acknowledge_days=int(config["ACKNOWLEDGE_DAYS"]),
            feedback_months=int(config["FEEDBACK_MONTHS"]),
        )
