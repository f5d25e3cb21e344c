"""What services need from configuration, as one plain object (no Flask inside services)."""

from __future__ import annotations

from dataclasses import dataclass, field

from hotline.config import Settings
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
    def from_settings(cls, settings: Settings) -> ServiceContext:
        return cls(
            keyring=Keyring.from_settings(settings),
            keys=KeyTrust.from_settings(settings),
            max_field_chars=settings.max_field_chars,
            acknowledge_days=settings.acknowledge_days,
            feedback_months=settings.feedback_months,
        )
