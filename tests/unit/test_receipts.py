"""Receipt codes: Damm check digit, generation, formatting, parsing and key derivation."""

from __future__ import annotations

import random
from collections import Counter
from typing import cast

import pytest

from crypto import receipts
from crypto.errors import InvalidReceipt
from crypto.primitives import Argon2Params

CHEAP = Argon2Params(ops=1, mem_bytes=8192)
SALT = bytes(range(16))
_FULL_WIDTH = {0x30 + i: 0xFF10 + i for i in range(10)}


def _with_check_digit(body: str) -> str:
    return body + str(receipts.damm_digit(body))


def _sample_receipts() -> list[str]:
    rng = random.Random(20240501)
    fixed = ["000000000000000", "999999999999999", "123456789012345", "010101010101010"]
    bodies = fixed + [f"{rng.randrange(10**15):015d}" for _ in range(6)]
    return [_with_check_digit(body) for body in bodies] + [receipts.generate() for _ in range(4)]


SAMPLES = _sample_receipts()


# --- Damm check digit -------------------------------------------------------------------


def test_known_damm_check_digit() -> None:
    # The worked example from Damm's paper / Wikipedia: 572 -> check digit 4.
    assert receipts.damm_digit("572") == 4
    assert receipts.damm_digit("5724") == 0
    assert receipts.damm_digit("") == 0


@pytest.mark.parametrize("receipt", SAMPLES)
def test_samples_are_valid(receipt: str) -> None:
    assert receipts.is_valid(receipt)
    assert receipts.parse(receipt) == receipt


@pytest.mark.parametrize("receipt", SAMPLES)
def test_every_single_digit_substitution_is_caught(receipt: str) -> None:
    for position in range(receipts.DIGITS):
        for digit in "0123456789":
            if digit == receipt[position]:
                continue
            wrong = receipt[:position] + digit + receipt[position + 1 :]
            assert not receipts.is_valid(wrong), (receipt, position, digit)
            with pytest.raises(InvalidReceipt):
                receipts.parse(wrong)


@pytest.mark.parametrize("receipt", SAMPLES)
def test_every_adjacent_transposition_is_caught(receipt: str) -> None:
    swapped_any = False
    for position in range(receipts.DIGITS - 1):
        a, b = receipt[position], receipt[position + 1]
        if a == b:
            continue  # swapping equal digits is no error at all
        swapped_any = True
        wrong = receipt[:position] + b + a + receipt[position + 2 :]
        assert not receipts.is_valid(wrong), (receipt, position)
        with pytest.raises(InvalidReceipt):
            receipts.parse(wrong)
    if receipt not in {"0000000000000000", "9999999999999999"}:
        assert swapped_any


def test_damm_table_is_totally_anti_symmetric_from_every_state() -> None:
    # Row 0 of the quasigroup is a permutation, so a one-digit prefix reaches every interim
    # state; from each state, every pair a != b in either order must end differently, and a
    # different digit must always end differently (rows and columns are permutations).
    states = {receipts.damm_digit(p): p for p in "0123456789"}
    assert sorted(states) == list(range(10))
    for prefix in states.values():
        for a in "0123456789":
            for b in "0123456789":
                if a == b:
                    continue
                assert receipts.damm_digit(prefix + a + b) != receipts.damm_digit(prefix + b + a)
                assert receipts.damm_digit(prefix + a) != receipts.damm_digit(prefix + b)


# --- generate ---------------------------------------------------------------------------


def test_generate_gives_sixteen_ascii_digits_with_valid_check_digit() -> None:
    for _ in range(200):
        receipt = receipts.generate()
        assert isinstance(receipt, str)
        assert len(receipt) == 16
        assert receipt.isascii()
        assert receipt.isdigit()
        assert all(ch in "0123456789" for ch in receipt)
        assert receipts.damm_digit(receipt) == 0
        assert receipt[-1] == str(receipts.damm_digit(receipt[:-1]))
        assert receipts.is_valid(receipt)


def test_generate_distribution_sanity() -> None:
    count = 2000
    generated = [receipts.generate() for _ in range(count)]
    assert len(set(generated)) == count
    for position in range(receipts.DIGITS):  # 15 random positions and the check digit
        counts = Counter(receipt[position] for receipt in generated)
        assert set(counts) == set("0123456789"), position
        # Expected 200 each, standard deviation about 13.4: these bounds are ~7 sigma wide.
        assert all(100 <= n <= 300 for n in counts.values()), (position, counts)


# --- format and parse -------------------------------------------------------------------


def test_format_receipt_groups_by_four() -> None:
    assert receipts.format_receipt("1234567890123456") == "1234 5678 9012 3456"
    for receipt in SAMPLES:
        formatted = receipts.format_receipt(receipt)
        assert formatted.replace(" ", "") == receipt
        assert [len(group) for group in formatted.split(" ")] == [4, 4, 4, 4]
        assert receipts.parse(formatted) == receipt


@pytest.mark.parametrize(
    "template",
    [
        "{0} {1} {2} {3}",
        "{0}-{1}-{2}-{3}",
        "  {0}  {1}\t{2}\n{3} ",
        "{0}\u3000{1}\u3000{2}\u3000{3}",  # ideographic space
        "{0}\u2010{1}\u2013{2}\u2014{3}",  # hyphen, en dash, em dash
        "{0}{1}{2}{3}",
        "{0}- {1} -{2}--{3}",
    ],
)
def test_parse_accepts_separators(template: str) -> None:
    receipt = SAMPLES[4]
    groups = [receipt[i : i + 4] for i in range(0, 16, 4)]
    assert receipts.parse(template.format(*groups)) == receipt


def test_parse_accepts_full_width_digits() -> None:
    receipt = SAMPLES[5]
    full_width = receipt.translate(_FULL_WIDTH)
    assert full_width != receipt
    assert receipts.parse(full_width) == receipt
    assert receipts.parse(receipts.format_receipt(full_width)) == receipt
    grouped = "\u3000".join(full_width[i : i + 4] for i in range(0, 16, 4))
    assert receipts.parse(grouped) == receipt
    # Mixed ASCII and full-width digits.
    assert receipts.parse(full_width[:8] + receipt[8:]) == receipt
    # A full-width check digit that is wrong is still caught.
    wrong_last = str((int(receipt[-1]) + 1) % 10).translate(_FULL_WIDTH)
    with pytest.raises(InvalidReceipt):
        receipts.parse(full_width[:-1] + wrong_last)


def test_parse_full_width_example() -> None:
    receipt = _with_check_digit("123456789012345")
    full_width = "１２３４ ５６７８ ９０１２ ３４５" + receipt[-1].translate(_FULL_WIDTH)
    assert receipts.parse(full_width) == receipt


@pytest.mark.parametrize("dash", ["\uff0d", "\u30fc", "\u2212"])
def test_parse_accepts_ime_dashes(dash: str) -> None:
    receipt = SAMPLES[5]
    full_width = receipt.translate(_FULL_WIDTH)
    text = dash.join(full_width[i : i + 4] for i in range(0, 16, 4))
    assert receipts.parse(text) == receipt


@pytest.mark.parametrize(
    "text",
    [
        "",
        "   ",
        "123456789012345",  # 15 digits
        "12345678901234567",  # 17 digits
        "1234 5678 9012 345",
        "1234 5678 9012 3456 7",
        "123456789012345a",
        "a234567890123456",
        "1234 5678 9O12 3456",  # letter O
        "1234.5678.9012.3456",
        "1234_5678_9012_3456",
        "١٢٣٤٥٦٧٨٩٠١٢٣٤٥٦",  # Arabic-Indic digits are not accepted
        "1" * 65,
    ],
)
def test_parse_rejects_malformed(text: str) -> None:
    with pytest.raises(InvalidReceipt):
        receipts.parse(text)


def test_parse_rejects_overlong_input_before_cleaning() -> None:
    receipt = SAMPLES[0]
    assert receipts.parse(" " * 48 + receipt) == receipt  # 64 characters: accepted
    with pytest.raises(InvalidReceipt):
        receipts.parse(" " * 49 + receipt)
    with pytest.raises(InvalidReceipt):
        receipts.parse("-" * 1000 + receipt)


def test_parse_rejects_non_string() -> None:
    with pytest.raises(InvalidReceipt):
        receipts.parse(cast(str, 1234567890123456))
    with pytest.raises(InvalidReceipt):
        receipts.parse(cast(str, b"1234567890123456"))


@pytest.mark.parametrize("receipt", SAMPLES)
def test_parse_rejects_bad_check_digit(receipt: str) -> None:
    for digit in "0123456789":
        if digit == receipt[-1]:
            continue
        with pytest.raises(InvalidReceipt, match="check digit"):
            receipts.parse(receipts.format_receipt(receipt[:-1] + digit))


def test_is_valid_rejects_non_ascii_and_wrong_length() -> None:
    receipt = SAMPLES[0]
    assert not receipts.is_valid(receipt.translate(_FULL_WIDTH))
    assert not receipts.is_valid(receipt[:-1])
    assert not receipts.is_valid(receipt + "0")
    assert not receipts.is_valid(receipts.format_receipt(receipt))


# --- derive -----------------------------------------------------------------------------


def test_derive_is_deterministic() -> None:
    receipt = SAMPLES[1]
    first = receipts.derive(receipt, SALT, CHEAP)
    second = receipts.derive(receipt, SALT, CHEAP)
    assert first == second
    assert len(first.lookup_tag) == 32
    assert len(first.wrap_key) == 32


def test_derive_lookup_tag_differs_from_wrap_key() -> None:
    for receipt in SAMPLES[:4]:
        derived = receipts.derive(receipt, SALT, CHEAP)
        assert derived.lookup_tag != derived.wrap_key


def test_derive_different_receipts_give_different_secrets() -> None:
    derived = [receipts.derive(receipt, SALT, CHEAP) for receipt in SAMPLES]
    tags = {d.lookup_tag for d in derived}
    keys = {d.wrap_key for d in derived}
    assert len(tags) == len(set(SAMPLES))
    assert len(keys) == len(set(SAMPLES))
    assert tags.isdisjoint(keys)


def test_derive_different_salts_give_different_secrets() -> None:
    receipt = SAMPLES[2]
    a = receipts.derive(receipt, SALT, CHEAP)
    b = receipts.derive(receipt, bytes(16), CHEAP)
    assert a.lookup_tag != b.lookup_tag
    assert a.wrap_key != b.wrap_key


def test_derive_different_params_give_different_secrets() -> None:
    receipt = SAMPLES[2]
    a = receipts.derive(receipt, SALT, CHEAP)
    b = receipts.derive(receipt, SALT, Argon2Params(ops=2, mem_bytes=8192))
    assert a.lookup_tag != b.lookup_tag


def test_derive_rejects_bad_salt_length() -> None:
    with pytest.raises(ValueError):
        receipts.derive(SAMPLES[0], bytes(15), CHEAP)
