"""A small proof of work on web submissions: cheap to check, costly to repeat at scale.

Find an 8-byte big-endian counter such that keyed BLAKE2b(challenge, label, counter) starts
with `bits` zero bits. The challenge is 32 random bytes issued by the server, single use.
"""

from __future__ import annotations

from crypto.primitives import keyed_hash

LABEL = "hotline:pow:v1"
NONCE_BYTES = 8


def leading_zero_bits(digest: bytes) -> int:
    count = 0
    for byte in digest:
        if byte == 0:
            count += 8
            continue
        count += 8 - byte.bit_length()
        break
    return count


def check(challenge: bytes, nonce: bytes, bits: int) -> bool:
    if len(challenge) != 32 or len(nonce) != NONCE_BYTES:
        return False
    return leading_zero_bits(keyed_hash(challenge, LABEL, nonce)) >= bits


def solve(challenge: bytes, bits: int, limit: int = 1 << 32) -> bytes:
    """Reference solver (tests, SMS-free tools); browsers run the JavaScript twin."""
    for counter in range(limit):
        nonce = counter.to_bytes(NONCE_BYTES, "big")
        if check(challenge, nonce, bits):
            return nonce
    raise ValueError("no solution within the limit")
