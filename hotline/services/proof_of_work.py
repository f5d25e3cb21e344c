"""Single-use proof-of-work challenges for web submissions.

A challenge is 16 random bytes, an 8-byte expiry and an 8-byte MAC, so the server keeps
nothing when it issues one; when one is redeemed its hash is marked spent until it would
have expired anyway, so a solved challenge can never be reused (Hush Line's captcha can).
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from crypto import pow as pow_rule
from crypto.primitives import constant_time_equal, keyed_hash, random_bytes
from hotline.kv import ExpiringStore
from hotline.services.errors import ServiceError


class InvalidProof(ServiceError):
    code = "invalid_proof_of_work"


class MismatchedProof(ServiceError):
    code = "proof_of_work_mismatch"


class ExpiredProof(ServiceError):
    code = "proof_of_work_expired"


class SpentProof(ServiceError):
    code = "proof_of_work_reused"


@dataclass(frozen=True)
class Challenge:
    challenge: bytes
    bits: int
    expires_in: int


class ProofOfWork:
    def __init__(self, secret: bytes, store: ExpiringStore, bits: int, ttl_seconds: int) -> None:
        self._key = keyed_hash(secret, "hotline:pow:mac-key:v1")
        self._store = store
        self.bits = bits
        self.ttl = ttl_seconds

    def _mac(self, body: bytes) -> bytes:
        return keyed_hash(self._key, "hotline:pow:challenge:v1", body)[:8]

    def issue(self) -> Challenge:
        expiry = int(time.time()) + self.ttl
        body = random_bytes(16) + expiry.to_bytes(8, "big")
        return Challenge(body + self._mac(body), self.bits, self.ttl)

    def redeem(self, challenge: bytes, digest: bytes, nonce: bytes) -> None:
        """Check and spend a proof solved for `digest` (checked before the body is read)."""
        if len(challenge) != 32 or not constant_time_equal(
            self._mac(challenge[:24]), challenge[24:]
        ):
            raise InvalidProof("the anti-abuse check is not valid; reload the page and try again")
        remaining = int.from_bytes(challenge[16:24], "big") - int(time.time())
        if remaining <= 0:
            raise ExpiredProof("the anti-abuse check expired; reload the page and try again")
        if not pow_rule.check(challenge, digest, nonce, self.bits):
            raise InvalidProof("the anti-abuse check is not solved")
        spent_key = "pow:" + keyed_hash(self._key, "hotline:pow:spent:v1", challenge).hex()
        if not self._store.add(spent_key, remaining + 1):
            raise SpentProof("this anti-abuse check was used already; reload the page")


def check_binding(challenge: bytes, digest: bytes, fields: tuple[bytes, ...]) -> None:
    """The parsed body is the submission the proof was solved for."""
    if not constant_time_equal(pow_rule.submission_digest(challenge, fields), digest):
        raise MismatchedProof("the anti-abuse check was solved for a different submission")
