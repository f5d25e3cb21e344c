"""The plaintext scan: what a test sent that must never be stored or logged readably, and the
search for it in raw stored bytes.

Each world (a database, its app and its log capture) owns a `Ledger`. Tests record in it every
report text, message, receipt and phone number they send; the world's fixture scans the raw
database, the log lines and the instance folder at teardown, after the module's journeys, and
fails the run when anything turns up. Client addresses from the RFC 5737 test networks are
always looked for, whether recorded or not.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass, field

# Every client address a test uses comes from these networks (RFC 5737).
TEST_ADDRESS = re.compile(rb"(?<![\d.])(?:192\.0\.2|198\.51\.100|203\.0\.113)\.\d{1,3}(?![\d])")


class PlaintextLeak(AssertionError):
    """Raised by a scan that found a recorded plaintext, receipt, number or test address."""


def needle_forms(secret: str) -> set[bytes]:
    """Byte forms a plaintext could take on disk: UTF-8, UTF-16, hex of UTF-8."""
    forms = {secret.encode("utf-8"), secret.encode("utf-16-le")}
    forms.add(secret.encode("utf-8").hex().encode())
    return forms


def receipt_forms(receipt: str) -> list[str]:
    digits = "".join(ch for ch in receipt if ch.isdigit())
    return [digits, receipt, "-".join(receipt.split())]


def phone_forms(number: str) -> list[str]:
    """An E.164 number as it might be written: +819012345678, 819012345678, 09012345678,
    090-1234-5678 and the bare subscriber digits."""
    digits = number.lstrip("+")
    national = "0" + digits[2:]
    return [
        number,
        digits,
        national,
        f"{national[:3]}-{national[3:7]}-{national[7:]}",
        digits[2:],
    ]


def find_plaintext(haystacks: dict[str, bytes], secrets_: Iterable[str]) -> list[str]:
    found = []
    for secret in secrets_:
        for form in needle_forms(secret):
            for where, data in haystacks.items():
                if form in data:
                    found.append(f"{secret!r} in {where}")
    return found


def find_test_addresses(haystacks: dict[str, bytes]) -> list[str]:
    return [
        f"address {m.group(0).decode()!r} in {where}"
        for where, data in haystacks.items()
        for m in TEST_ADDRESS.finditer(data)
    ]


@dataclass
class Ledger:
    """Everything sent in one world that must never reach a store in readable form."""

    texts: list[str] = field(default_factory=list)
    # Byte strings looked for exactly as given (image metadata that must have been stripped).
    raw: list[bytes] = field(default_factory=list)

    def add(self, *texts: str) -> None:
        self.texts.extend(t for t in texts if t not in self.texts)

    def add_bytes(self, *needles: bytes) -> None:
        self.raw.extend(needles)

    def marker(self, label: str, tail: str = "経理部の山田さんが") -> str:
        """A unique text to send, recorded for the scan."""
        text = f"{label} {secrets.token_hex(8)} {tail}".strip()
        self.add(text)
        return text

    def receipt(self, receipt: str) -> str:
        self.add(*receipt_forms(receipt))
        return receipt

    def phone(self, number: str) -> str:
        self.add(*phone_forms(number))
        return number

    def leaks(self, haystacks: dict[str, bytes]) -> list[str]:
        raw = [
            f"{needle!r} in {where}"
            for needle in self.raw
            for where, data in haystacks.items()
            if needle in data
        ]
        return find_plaintext(haystacks, self.texts) + raw + find_test_addresses(haystacks)

    def assert_clean(self, haystacks: dict[str, bytes]) -> None:
        assert haystacks, "nothing to scan"
        leaks = self.leaks(haystacks)
        if leaks:
            raise PlaintextLeak("plaintext stored or logged: " + "; ".join(leaks[:20]))
