"""Control totals: what a provider says a file's costs add up to, and the check against what loaded, to the penny.

A total that cannot be read does not stop its file (or the others in the folder): the file loads, and its control
check says which row of control_totals.csv to fix.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path

from engine.errors import ExtractError

CONTROL_TOTALS_FILE = "control_totals.csv"
_PENNY = Decimal("0.005")


@dataclass(frozen=True)
class Unreadable:
    """A control total given for a file that is not an amount in pounds."""

    reason: str


ControlTotal = Decimal | Unreadable | None


def check(loaded: Decimal, rejected: Decimal, control_total: ControlTotal) -> str:
    """Compare the cost loaded with the provider's control total, to the penny."""
    if control_total is None:
        return "none supplied"
    if isinstance(control_total, Unreadable):
        return control_total.reason
    if abs(loaded - control_total) < _PENNY:
        return "matched"
    if abs(loaded + rejected - control_total) < _PENNY:
        return f"file matches; £{control_total - loaded:,.2f} is in rejected rows"
    return f"differs by £{loaded + rejected - control_total:,.2f}"


def read(folder: Path) -> dict[str, Decimal | Unreadable]:
    """File name -> expected total cost, from a control_totals.csv (columns file, total_cost) in the folder."""
    path = folder / CONTROL_TOTALS_FILE
    if not path.exists():
        return {}
    totals: dict[str, Decimal | Unreadable] = {}
    try:
        with path.open(encoding="utf-8-sig", newline="") as handle:
            for line, row in enumerate(csv.DictReader(handle), start=2):
                if not row.get("file"):
                    continue
                value = (row.get("total_cost") or "").replace("£", "").replace(",", "").strip()
                if not value:
                    continue
                try:
                    total = Decimal(value)
                    if not total.is_finite():
                        raise ArithmeticError(value)
                    totals[row["file"].strip()] = total
                except ArithmeticError:
                    totals[row["file"].strip()] = Unreadable(
                        f"not checked: {CONTROL_TOTALS_FILE} row {line} gives total_cost {value!r}, which is not an "
                        "amount in pounds; correct it and load the file again to check it"
                    )
    except (UnicodeDecodeError, csv.Error) as exc:
        raise ExtractError(
            CONTROL_TOTALS_FILE, f"cannot be read ({exc}); save it as CSV UTF-8 with columns file, total_cost"
        ) from exc
    return totals
