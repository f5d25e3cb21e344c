"""Receipt format check (Damm check digit), so a typo is caught before any request."""

from __future__ import annotations

import re
import unicodedata

_DAMM = (
    (0, 3, 1, 7, 5, 9, 8, 6, 4, 2), (7, 0, 9, 2, 1, 5, 4, 8, 6, 3),
    (4, 2, 0, 6, 8, 7, 1, 3, 5, 9), (1, 7, 5, 0, 9, 8, 3, 4, 2, 6),
    (6, 1, 2, 3, 0, 4, 5, 9, 7, 8), (3, 6, 7, 4, 2, 0, 9, 5, 8, 1),
    (5, 8, 6, 9, 7, 2, 0, 1, 3, 4), (8, 9, 4, 5, 3, 6, 2, 0, 1, 7),
    (9, 4, 3, 8, 6, 1, 7, 2, 0, 5), (2, 5, 8, 1, 4, 3, 6, 7, 9, 0),
)
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212\u3000\u30fc\uff0d]+")


def digits_of(text: str) -> str:
    return _SEPARATORS.sub("", unicodedata.normalize("NFKC", text or ""))


def is_valid_receipt(text: str) -> bool:
    digits = digits_of(text)
    if len(digits) != 16 or not (digits.isascii() and digits.isdigit()):
        return False
    interim = 0
    for ch in digits:
        interim = _DAMM[interim][int(ch)]
    return interim == 0
