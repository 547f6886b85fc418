"""The financial year calendar: April to March, periods 1-12 (1 = April), quarters Q1-Q4."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

Days = npt.NDArray[np.datetime64]


@dataclass(frozen=True)
class FinYear:
    """A financial year such as 2023/24."""

    label: str
    first_year: int

    @property
    def compact(self) -> str:
        """202324: the form used in file names."""
        return f"{self.first_year}{(self.first_year + 1) % 100:02d}"

    @property
    def short(self) -> str:
        """2324: the form used inside record ids."""
        return f"{self.first_year % 100:02d}{(self.first_year + 1) % 100:02d}"

    def month(self, period: int) -> np.datetime64:
        """The calendar month of a period."""
        return np.datetime64(f"{self.first_year}-04", "M") + np.timedelta64(period - 1, "M")


def parse_fin_year(text: str) -> FinYear:
    """Read 2023/24; anything else is an error."""
    match = re.fullmatch(r"([0-9]{4})/([0-9]{2})", text)
    if match is None or (int(match[1]) + 1) % 100 != int(match[2]):
        raise ValueError(f"fin_year {text!r} is not a financial year written like 2023/24")
    return FinYear(text, int(match[1]))


def quarter_periods(quarter: int) -> tuple[int, int, int]:
    """The three periods of a quarter: Q1 = 1, 2, 3 (April to June)."""
    first = 3 * (quarter - 1) + 1
    return first, first + 1, first + 2


def quarter_days(fin_year: FinYear, quarter: int, *, weekdays_only: bool = False) -> Days:
    """Every day of the quarter, or only Monday to Friday."""
    first, _, last = quarter_periods(quarter)
    start = fin_year.month(first).astype("datetime64[D]")
    end = (fin_year.month(last) + np.timedelta64(1, "M")).astype("datetime64[D]")
    days = np.arange(start, end, dtype="datetime64[D]")
    if weekdays_only:
        days = days[weekday(days) < 5]
    return days


def weekday(days: Days) -> npt.NDArray[np.int64]:
    """Monday = 0 ... Sunday = 6 (1970-01-01 was a Thursday)."""
    return np.asarray((days.astype(np.int64) + 3) % 7, dtype=np.int64)


def periods_of(fin_year: FinYear, days: Days) -> npt.NDArray[np.int32]:
    """The period (1 = April) each date falls in; dates outside the year give values outside 1-12."""
    months = days.astype("datetime64[M]").astype(np.int64)
    start = fin_year.month(1).astype(np.int64)
    return np.asarray(months - start + 1, dtype=np.int32)


def month_bounds(fin_year: FinYear, period: int) -> tuple[np.datetime64, np.datetime64]:
    """First day of the period's month and first day of the next month."""
    month = fin_year.month(period)
    return month.astype("datetime64[D]"), (month + np.timedelta64(1, "M")).astype("datetime64[D]")
