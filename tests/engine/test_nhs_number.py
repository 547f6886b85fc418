"""NHS numbers: the mod 11 check, the test-range generator and the vectorised check agree."""

from __future__ import annotations

import numpy as np
from hypothesis import given
from hypothesis import strategies as st

from engine import nhs_number


def test_known_numbers() -> None:
    assert nhs_number.is_valid("9434765919")
    assert not nhs_number.is_valid("9434765918")
    assert not nhs_number.is_valid("943476591")
    assert not nhs_number.is_valid("94347659AB")


def test_test_range_numbers_are_all_valid_distinct_and_in_the_999_range() -> None:
    pool = nhs_number.test_range_numbers()
    assert len(pool) == len(set(pool.tolist())) > 900_000
    sample = [str(v) for v in pool[:: len(pool) // 1000].tolist()]
    assert all(v.startswith("999") and nhs_number.is_valid(v) for v in sample)


@given(st.lists(st.text(alphabet="0123456789 x", min_size=0, max_size=11), max_size=50))
def test_vectorised_check_matches_the_scalar_one(values: list[str]) -> None:
    assert nhs_number.valid_mask(values).tolist() == [nhs_number.is_valid(v) for v in values]


def test_pseudonyms_are_keyed_and_stable() -> None:
    [a, b] = nhs_number.pseudonymise(["9434765919", "9434765919"], b"key-1")
    [c] = nhs_number.pseudonymise(["9434765919"], b"key-2")
    assert a == b != c
    assert len(a) == 64 and "9434765919" not in a
    assert nhs_number.synthetic_numbers(np.array([0, 1])) != nhs_number.synthetic_numbers(np.array([1, 2]))


def test_numbers_are_found_however_they_are_written_and_only_when_they_check() -> None:
    text = "a 9434765919, b 943 476 5919, c 943-476-5919, d 9434765918, e 19434765919, f 94347659190"
    assert nhs_number.numbers_in(text) == ["9434765919"] * 3


def test_a_mask_is_keyed_stable_and_holds_no_digit_to_find_again() -> None:
    masked = nhs_number.mask("spell 9434765919 and 943 476 5919; 9434765918 stays", b"key-1")
    first, second = masked.split(" and ")
    assert first.startswith("spell [NHS#") and second.split(";")[0] == first.removeprefix("spell ")
    assert "9434765918 stays" in masked and nhs_number.numbers_in(masked) == []
    assert not any(ch.isdigit() for ch in first.removeprefix("spell "))
    assert nhs_number.mask("9434765919", b"key-2") != nhs_number.mask("9434765919", b"key-1")
    assert nhs_number.mask(masked, b"key-1") == masked, "masking twice changes nothing"
    assert nhs_number.redact("x 9434765919") == f"x {nhs_number.REMOVED}"


@given(st.text(alphabet="0123456789 -x", max_size=40))
def test_no_valid_number_survives_a_mask(text: str) -> None:
    assert nhs_number.numbers_in(nhs_number.mask(text, b"k")) == []
