"""Turn values as Excel sends them into the codes the result tables use.

Excel (through xlwings, or the `formulas` package on Linux) sends a blank cell as None, every number as a float
(TFC 110 arrives as 110.0), text as str, a date as a datetime, an error value as its text ("#N/A"; xlwings sends the
newer ones, such as #SPILL!, as their CVErr code, an int), and a range as a list (one row or column) or a list of
lists (a block). Each function here takes one such value and returns a clean code or raises ArgumentError with a
sentence for the cell.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import date, datetime

BENCHMARKS = {
    "ics mean": ("ICS mean", "ics"),
    "ics median": ("ICS median", "median"),
    "best in system": ("best in system", "best"),
    "national": ("national", "national"),
}
_BENCHMARK_WORDS = {
    "ics": "ics mean",
    "mean": "ics mean",
    "average": "ics mean",
    "ics average": "ics mean",
    "median": "ics median",
    "best": "best in system",
    "best in class": "best in system",
    "bis": "best in system",
    "national mean": "national",
    "national average": "national",
}
_FIN_YEAR = re.compile(r"^(\d{4})\s*[/-]\s*(\d{2}|\d{4})$")
_NOT_A_NAME = re.compile(r"[^0-9a-z]")
MISSING_TEXT = ""
# Excel's error values by their CVErr number (XlCVError). pywin32 hands an error value to Python as an int, the
# HRESULT 0x800A0000 + that number; xlwings turns the older ones into their text.
EXCEL_ERRORS = {
    2000: "#NULL!",
    2007: "#DIV/0!",
    2015: "#VALUE!",
    2023: "#REF!",
    2029: "#NAME?",
    2036: "#NUM!",
    2042: "#N/A",
    2043: "#GETTING_DATA",
    2045: "#SPILL!",
    2046: "#CONNECT!",
    2047: "#BLOCKED!",
    2048: "#UNKNOWN!",
    2049: "#FIELD!",
    2050: "#CALC!",
}
_ERROR_HRESULT_BASE = -2146828288  # 0x800A0000 as the signed 32-bit int pywin32 gives


class ArgumentError(ValueError):
    """An argument Excel sent that we cannot use; the message is shown in the cell."""


def single(value: object, name: str) -> object:
    """One value from what may be a one-cell range; a bigger range, or an error value, is an error."""
    while isinstance(value, list | tuple):
        flat = [v for v in _flatten(value) if v is not None and v != MISSING_TEXT]
        if len(flat) > 1:
            raise ArgumentError(f"{name}: give one value, not a range of {len(flat)}")
        value = flat[0] if flat else None
    error = excel_error(value)
    if error is not None:
        raise ArgumentError(f"{name} is the error {error}: fix the cell or formula it comes from")
    return value


def excel_error(value: object) -> str | None:
    """The text of an Excel error value ("#N/A"), or None when `value` is not one."""
    if isinstance(value, str):
        return value if value in EXCEL_ERRORS.values() else None
    if isinstance(value, int) and not isinstance(value, bool):
        number = value - _ERROR_HRESULT_BASE
        if 2000 <= number <= 2100:
            return EXCEL_ERRORS.get(number, f"error value {number}")
    return None


def text(value: object, name: str) -> str | None:
    """A code as text: blanks become None, whole numbers lose their '.0', spaces are trimmed."""
    value = single(value, name)
    if value is None:
        return None
    if isinstance(value, bool):
        raise ArgumentError(f"{name}: expected a code, not TRUE or FALSE")
    if isinstance(value, float):
        if not value.is_integer():
            raise ArgumentError(f"{name}: {value} is not a code")
        return str(int(value))
    if isinstance(value, int):
        return str(value)
    if isinstance(value, datetime | date):
        raise ArgumentError(f"{name}: expected a code, not a date")
    cleaned = str(value).strip()
    return cleaned or None


def code(value: object, name: str, choices: Mapping[str, str], *, names: Mapping[str, str] | None = None) -> str | None:
    """A code that must be one of `choices` (keyed by its capitalised form, so case does not matter); `names` maps
    other spellings (a provider's name) to a code."""
    given = text(value, name)
    if given is None:
        return None
    key = given.upper()
    found = choices.get(key) or (names or {}).get(key)
    if found is None:
        raise ArgumentError(f"{name} '{given}' is not in the results; choose one of: {listing(choices.values())}")
    return found


def tfc(value: object) -> str | None:
    """A treatment function code: 110.0 and '110' both mean '110'."""
    return text(value, "TFC")


def benchmark(value: object, *, allowed: Iterable[str] = tuple(BENCHMARKS)) -> str:
    """One of ICS mean (the default), ICS median, best in system or national."""
    given = text(value, "benchmark")
    allowed = tuple(allowed)
    if given is None:
        return allowed[0]
    key = " ".join(given.lower().replace("_", " ").replace("-", " ").split())
    key = _BENCHMARK_WORDS.get(key, key)
    if key not in allowed:
        raise ArgumentError(f"benchmark '{given}' is not one of: {', '.join(BENCHMARKS[b][0] for b in allowed)}")
    return key


MEASURES = {
    "floored": "opportunity",  # the seed's: each cell floored at 0, then added up
    "net": "net",  # both signs, so savings offset excess
    "significant": "significant",  # floored, in cells outside the funnel limits only
}


def measure(value: object) -> str:
    """floored (the default: the seed's method), net or significant."""
    given = text(value, "measure")
    if given is None:
        return "floored"
    chosen = name_key(given)
    if chosen not in MEASURES:
        raise ArgumentError(f"measure {given!r} is not one of: {', '.join(MEASURES)}")
    return chosen


def whole_number(value: object, name: str, *, default: int, smallest: int = 1, largest: int = 10_000) -> int:
    """A count such as the number of rows to show."""
    value = single(value, name)
    if value is None or value == MISSING_TEXT:
        return default
    try:
        number = float(str(value).strip()) if isinstance(value, str) else float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise ArgumentError(f"{name}: '{value}' is not a number") from None
    if not number.is_integer() or not smallest <= number <= largest:
        raise ArgumentError(f"{name}: give a whole number from {smallest} to {largest}")
    return int(number)


def name_key(value: str) -> str:
    """What a typed name is matched on: letters and digits only, in lower case ("Hip fracture" = "hip_fracture")."""
    return _NOT_A_NAME.sub("", value.lower())


def named(value: object, name: str, choices: Mapping[str, str], *, shown: Iterable[str]) -> str | None:
    """One of `choices` (keyed by `name_key`, so case, spaces and underscores do not matter); a wrong one lists
    `shown`."""
    given = text(value, name)
    if given is None:
        return None
    found = choices.get(name_key(given))
    if found is None:
        raise ArgumentError(f"{name} '{given}' is not in the results; choose one of: {', '.join(shown)}")
    return found


def percent(value: object, name: str) -> int:
    """A whole percentage from 1 to 100: 5, "5", "5%", "top 5%", a fraction below 1 (0.05, a cell showing 5%), or
    "all" for 100."""
    value = single(value, name)
    if value is None or value == MISSING_TEXT:
        raise ArgumentError(f"give {name}, e.g. 5 for the top 5%")
    if isinstance(value, bool | datetime | date):
        raise ArgumentError(f"{name}: expected a percentage such as 5%")
    number = _percent_number(value, name)
    rounded = round(number, 6)
    if not rounded.is_integer() or not 1 <= rounded <= 100:
        raise ArgumentError(f"{name}: give a whole percentage from 1% to 100%, not {number:g}%")
    return int(rounded)


def _percent_number(value: object, name: str) -> float:
    if not isinstance(value, str):
        number = float(value)  # type: ignore[arg-type]
        return number * 100 if 0 < number < 1 else number
    words = " ".join(value.lower().split())
    if words in ("all", "all patients"):
        return 100.0
    words = words.removeprefix("top").strip()
    written_as_percent = words.endswith("%")
    try:
        number = float(words.removesuffix("%").strip())
    except ValueError:
        raise ArgumentError(f"{name}: '{value}' is not a percentage such as 5%") from None
    return number if written_as_percent or not 0 < number < 1 else number * 100


def fin_year(value: object, choices: Iterable[str]) -> str:
    """A financial year: '2023/24', '2023-24', 2023 or 2023.0 (the year it starts); blank means the latest."""
    years = sorted(choices)
    if not years:
        raise ArgumentError("the results hold no financial years yet")
    given = text(value, "year")
    if given is None:
        return years[-1]
    match = _FIN_YEAR.match(given)
    if match:
        start = int(match.group(1))
    elif given.isdigit() and len(given) == 4:
        start = int(given)
    else:
        raise ArgumentError(f"year '{given}' is not a financial year such as {years[-1]}")
    wanted = f"{start}/{(start + 1) % 100:02d}"
    if wanted not in years:
        raise ArgumentError(f"year {wanted} is not in the results; choose one of: {', '.join(years)}")
    return wanted


def filters(values: Iterable[object]) -> list[tuple[str, object]]:
    """ICS_TABLE's filters: pairs of column name and value, or a two-column range of them."""
    flat: list[object] = []
    for value in values:
        if isinstance(value, list | tuple):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    while flat and flat[-1] is None:
        flat.pop()
    if len(flat) % 2:
        raise ArgumentError("filters come in pairs: a column name, then the value it must have")
    pairs = []
    for column, value in zip(flat[::2], flat[1::2], strict=True):
        name = text(column, "filter column")
        if name is None:
            raise ArgumentError("a filter has a value but no column name")
        pairs.append((name.lower(), value))
    return pairs


def _flatten(values: Iterable[object]) -> list[object]:
    flat: list[object] = []
    for value in values:
        if isinstance(value, list | tuple):
            flat.extend(_flatten(value))
        else:
            flat.append(value)
    return flat


def listing(values: Iterable[str], limit: int = 25) -> str:
    """Choices for a message: sorted, the first `limit` of them, and how many more."""
    ordered = sorted(v for v in values if v)
    shown = ", ".join(ordered[:limit])
    return shown + (f" and {len(ordered) - limit} more" if len(ordered) > limit else "")
