"""Compute a workbook on Linux with the `formulas` package, our worksheet functions hosted in it.

`formulas` hands a function its arguments as its own range objects and numpy values; Excel (through xlwings) sends
None, float, str and lists. The adapter turns the first into the second, so the functions run exactly as they do
under Excel, and turns their answers back. It is how the tests prove that a workbook we write, with our formulas in
it, computes to the engine's numbers.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import numpy as np

from addin import functions  # noqa: F401  (registers the worksheet functions)
from addin.registry import WORKSHEET_FUNCTIONS


def excel_value(value: Any) -> Any:
    """One argument as Excel would send it: None for a blank, float for a number, a list for a range."""
    import formulas

    if isinstance(value, formulas.Ranges):
        value = value.value
    if isinstance(value, np.ndarray):
        cells = [[excel_value(v) for v in row] for row in np.atleast_2d(value).tolist()]
        if len(cells) == 1 and len(cells[0]) == 1:
            return cells[0][0]
        if len(cells) == 1:
            return cells[0]
        if all(len(row) == 1 for row in cells):
            return [row[0] for row in cells]
        return cells
    if value is None or _is_empty(value):
        return None
    if isinstance(value, bool | np.bool_):
        return bool(value)
    if isinstance(value, int | float | np.integer | np.floating):
        return float(value)
    return str(value)


def _is_empty(value: Any) -> bool:
    import schedula

    return value is schedula.EMPTY or (isinstance(value, str) and value == "")


def hosted(function: Callable[..., Any]) -> Callable[..., Any]:
    """`function` as a `formulas` function: Excel-shaped arguments in, a scalar or a 2-D array out."""

    def call(*args: Any) -> Any:
        result = function(*(excel_value(a) for a in args))
        if isinstance(result, list):
            return np.array(result, dtype=object)
        return result

    return call


def compute(path: Path, names: Iterable[str] | None = None) -> dict[str, Any]:
    """Calculate every formula of the workbook at `path`; values by cell, e.g. "'[book.xlsx]OVERVIEW'!C7"."""
    import formulas

    available = formulas.get_functions()
    for name, entry in WORKSHEET_FUNCTIONS.items():
        if names is None or name in names:
            available[name] = hosted(entry.function)
    with warnings.catch_warnings():
        # openpyxl, which formulas reads with, drops table and conditional-format extensions it does not know.
        warnings.simplefilter("ignore", UserWarning)
        model = formulas.ExcelModel().loads(str(path)).finish()
        solution = model.calculate()
    values = {}
    for reference, ranges in solution.items():
        value = getattr(ranges, "value", ranges)
        if isinstance(value, np.ndarray) and value.size == 1:
            value = value.reshape(-1)[0]
        values[str(reference)] = excel_value(value) if not isinstance(value, np.ndarray) else value
    return values
