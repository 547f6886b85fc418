"""NHS numbers: the mod 11 check, the keyed pseudonym that replaces them at ingest, and the mask for numbers found
anywhere else.

A raw NHS number never leaves ingest. The pseudonym is HMAC-SHA-256 of the ten digits under a key every provider's
load shares (from the environment, never stored with the data), so one patient links across trusts while the store
holds nothing that can be turned back into the number without the key.

A number that passes the check in any other place (a record id, a free-text column, a header, a file name) is masked:
replaced by `[NHS#` + twelve letters + `]`, the letters a keyed hash of the digits, so the same number masks the same
way in every file (an id used in activity and cost lines still joins) and the mask holds no digit to be found again.
"""

from __future__ import annotations

import hashlib
import hmac
import re
from collections.abc import Iterable

import numpy as np
import numpy.typing as npt

_WEIGHTS = np.arange(10, 1, -1)
PSEUDONYM_PATTERN = "^[0-9a-f]{64}$"  # what `pseudonymise` makes: a lower-case SHA-256 hex digest
# Ten digits, or 3-3-4 with spaces or hyphens, not part of a longer run of digits: how an NHS number is written.
_IN_TEXT = re.compile(r"(?<![0-9])([0-9]{3})[ -]?([0-9]{3})[ -]?([0-9]{4})(?![0-9])")
# The same for DuckDB's regexp_full_match (a whole-text match, which DuckDB runs faster than a search).
IN_TEXT_SQL = r"(?s)(.*[^0-9])?[0-9]{3}[ -]?[0-9]{3}[ -]?[0-9]{4}([^0-9].*)?"
MASK_PREFIX = "[NHS#"
REMOVED = "[NHS number removed]"
_HEX_AS_LETTERS = str.maketrans("0123456789abcdef", "abcdefghijklmnop")


def check_digit(first_nine: str) -> int | None:
    """The mod 11 check digit for nine digits, or None where no valid number can end them (remainder 10)."""
    total = sum(int(d) * w for d, w in zip(first_nine, range(10, 1, -1), strict=True))
    digit = 11 - total % 11
    if digit == 11:
        return 0
    return None if digit == 10 else digit


def is_valid(value: str) -> bool:
    """True for ten digits whose last is the mod 11 check digit of the first nine."""
    if len(value) != 10 or not value.isdigit():
        return False
    return check_digit(value[:9]) == int(value[9])


def valid_mask(values: list[str]) -> npt.NDArray[np.bool_]:
    """Vectorised `is_valid` for many candidate numbers at once."""
    ok = np.array([len(v) == 10 and v.isdigit() for v in values], dtype=bool)
    if not ok.any():
        return ok
    text = "".join(v for v, good in zip(values, ok, strict=True) if good).encode("ascii")
    digits = np.frombuffer(text, np.uint8).reshape(-1, 10).astype(np.int64) - 48
    check = 11 - (digits[:, :9] * _WEIGHTS).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    ok[ok] = (check != 10) & (check == digits[:, 9])
    return ok


def test_range_numbers() -> npt.NDArray[np.int64]:
    """Every valid NHS number in the 999 test range (999 000 0000 to 999 999 9999), ascending: about 909,000."""
    bodies = np.arange(999_000_000, 1_000_000_000, dtype=np.int64)
    digits = (bodies[:, None] // (10 ** np.arange(8, -1, -1))) % 10
    check = 11 - (digits * _WEIGHTS).sum(axis=1) % 11
    check = np.where(check == 11, 0, check)
    keep = check != 10
    return np.asarray(bodies[keep] * 10 + check[keep], dtype=np.int64)


def synthetic_numbers(indices: npt.NDArray[np.int64]) -> list[str]:
    """Distinct valid test-range NHS numbers: the i-th valid number for each index i."""
    pool = test_range_numbers()
    if len(indices) and int(indices.max()) >= len(pool):
        raise ValueError(f"only {len(pool):,} valid NHS numbers exist in the 999 test range")
    return [str(v) for v in pool[indices].tolist()]


def pseudonymise(values: Iterable[str | None], key: bytes) -> list[str | None]:
    """HMAC-SHA-256 hex digest of each NHS number under `key` (None stays None)."""
    cache: dict[str, str] = {}
    out: list[str | None] = []
    for value in values:
        if value is None:
            out.append(None)
            continue
        digest = cache.get(value)
        if digest is None:
            digest = hmac.new(key, value.encode("ascii"), hashlib.sha256).hexdigest()
            cache[value] = digest
        out.append(digest)
    return out


def numbers_in(text: str) -> list[str]:
    """The valid NHS numbers written in `text` (ten digits, or 3-3-4 with spaces or hyphens), as ten digits each."""
    found = ("".join(match.groups()) for match in _IN_TEXT.finditer(text))
    return [digits for digits in found if is_valid(digits)]


def mask(text: str, key: bytes | None) -> str:
    """`text` with every valid NHS number in it replaced by its mask (the same number, the same mask, under `key`);
    without a key, by a fixed text that says a number was removed."""

    def masked(match: re.Match[str]) -> str:
        digits = "".join(match.groups())
        if not is_valid(digits):
            return match.group(0)
        if key is None:
            return REMOVED
        letters = hmac.new(key, digits.encode("ascii"), hashlib.sha256).hexdigest()[:12].translate(_HEX_AS_LETTERS)
        return f"{MASK_PREFIX}{letters}]"

    return _IN_TEXT.sub(masked, text)


def redact(text: str) -> str:
    """`text` with every valid NHS number replaced by a fixed text: for messages printed outside a load."""
    return mask(text, None)
