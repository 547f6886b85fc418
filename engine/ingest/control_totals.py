"""Control totals: what a provider says a file's costs add up to, and the check against what loaded, to the penny."""

from __future__ import annotations

import csv
from decimal import Decimal
from pathlib import Path

from engine.errors import ExtractError

CONTROL_TOTALS_FILE = "control_totals.csv"
_PENNY = Decimal("0.005")


def check(loaded: Decimal, rejected: Decimal, control_total: Decimal | None) -> str:
    """Compare the cost loaded with the provider's control total, to the penny."""
    if control_total is None:
        return "none supplied"
    if abs(loaded - control_total) < _PENNY:
        return "matched"
    if abs(loaded + rejected - control_total) < _PENNY:
        return f"file matches; £{control_total - loaded:,.2f} is in rejected rows"
    return f"differs by £{loaded + rejected - control_total:,.2f}"


def read(folder: Path) -> dict[str, Decimal]:
    """File name -> expected total cost, from a control_totals.csv (columns file, total_cost) in the folder."""
    path = folder / CONTROL_TOTALS_FILE
    if not path.exists():
        return {}
    totals: dict[str, Decimal] = {}
    with path.open(encoding="utf-8-sig", newline="") as handle:
        for line, row in enumerate(csv.DictReader(handle), start=2):
            value = (row.get("total_cost") or "").replace("£", "").replace(",", "").strip()
            if not value:
                continue
            try:
                totals[row["file"].strip()] = Decimal(value)
            except (ArithmeticError, KeyError) as exc:
                raise ExtractError(
                    CONTROL_TOTALS_FILE, f"row {line}: total_cost {value!r} is not an amount in pounds"
                ) from exc
    return totals
