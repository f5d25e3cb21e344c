"""The organisation root key as the app knows it: its public half, from configuration only.

The root public key comes from HOTLINE_KEYS_ROOT_PUBLIC (base64, or the text of a public
key file) or HOTLINE_KEYS_ROOT_PUBLIC_FILE (a path outside the instance folder), never from
the database: whoever can write the database must not be able to choose the key that
vouches for handler keys. Small installations may instead keep the root itself online
(HOTLINE_KEYS_ONLINE_ROOT_FILE and HOTLINE_KEYS_ONLINE_ROOT_PASSPHRASE): then new handler
keys are signed at once, and the app warns at every start that anyone who takes the
server can sign keys.
"""

from __future__ import annotations

import base64
import logging
from dataclasses import dataclass, field
from pathlib import Path

from crypto import signing
from crypto.errors import CryptoError
from hotline.config import ConfigError, Settings

log = logging.getLogger("hotline.keys")

ONLINE_ROOT_WARNING = (
    "the organisation root key is ONLINE (HOTLINE_KEYS_ONLINE_ROOT_FILE): anyone who takes "
    "this server can sign handler keys. Keep the root offline for real use (docs/keys.md)."
)


class KeyTrustConfigError(ConfigError):
    """The root key configuration is unusable; the app refuses to start."""


@dataclass(frozen=True)
class KeyTrust:
    root: signing.SigningPublicKey | None
    online_root: signing.SigningPrivateKey | None = None
    # Hashes of directory entries whose root signature this process has verified. An entry
    # hash covers the signed message and the signature, so a verified hash stays verified
    # for the same root; the set lives as long as the process and grows with the directory.
    # Reason: ML-DSA verification on every intake would cost one verify per entry.
    verified: set[bytes] = field(default_factory=set, compare=False, repr=False)

    @property
    def fingerprint(self) -> str:
        return self.root.fingerprint() if self.root else ""

    @property
    def root_b64(self) -> str:
        return base64.b64encode(self.root.to_bytes()).decode("ascii") if self.root else ""

    @classmethod
    def from_settings(cls, settings: Settings) -> KeyTrust:
        instance = settings.instance_path.resolve()
        root = _configured_public(settings, instance)
        online: signing.SigningPrivateKey | None = None
        online_path = settings.keys_online_root_file
        if online_path:
            path = _outside_instance(online_path, instance, "HOTLINE_KEYS_ONLINE_ROOT_FILE")
            passphrase = settings.keys_online_root_passphrase
            try:
                online = signing.open_root_file(path.read_text("utf-8"), passphrase)
            except (OSError, CryptoError) as exc:
                raise KeyTrustConfigError(f"cannot open the online root key: {exc}") from exc
            if root is not None and root != online.public():
                raise KeyTrustConfigError(
                    "the online root key does not match the configured root public key"
                )
            root = online.public()
            log.warning("keys.online_root", extra={"reason": ONLINE_ROOT_WARNING})
        if root is None:
            # Info, not a warning: the offline signing machine has no root configured on
            # purpose, and a server without one refuses every report with a clear message.
            log.info(
                "keys.no_root",
                extra={
                    "reason": "no root public key is configured (HOTLINE_KEYS_ROOT_PUBLIC_FILE): "
                    "no handler key can be verified, so no report can be sealed"
                },
            )
        return cls(root=root, online_root=online)


def _configured_public(settings: Settings, instance: Path) -> signing.SigningPublicKey | None:
    inline = settings.keys_root_public
    path = settings.keys_root_public_file
    if inline and path:
        raise KeyTrustConfigError(
            "set HOTLINE_KEYS_ROOT_PUBLIC or HOTLINE_KEYS_ROOT_PUBLIC_FILE, not both"
        )
    try:
        if inline:
            return signing.read_public(inline)
        if path:
            found = _outside_instance(path, instance, "HOTLINE_KEYS_ROOT_PUBLIC_FILE")
            return signing.read_public(found.read_text("utf-8"))
    except (OSError, ValueError, CryptoError) as exc:
        raise KeyTrustConfigError(f"the root public key cannot be read: {exc}") from exc
    return None


def _outside_instance(raw: str, instance: Path, name: str) -> Path:
    path = Path(raw).resolve()
    if path == instance or instance in path.parents:
        raise KeyTrustConfigError(
            f"{name} must be outside the instance folder ({instance}): the root key is "
            "configuration, not data"
        )
    return path
