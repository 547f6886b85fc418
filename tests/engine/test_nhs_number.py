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
