"""The worksheet functions as xlwings serves them on Windows (`UDF Modules = addin.udfs`).

Each registered function is exposed under its own name with `xw.func`, and each of its arguments with
`xw.arg(err_to_str=True)`: xlwings would otherwise hand an error value (a cell showing #N/A) to the function as None,
the same as a blank, and a blank POD means "every POD". With it, the function says which argument holds the error.

On Windows `xw.func` and `xw.arg` read the functions' type hints and options (tests/addin/test_excel_contract.py runs
that machinery, from the pinned xlwings, on Linux); elsewhere they do nothing, and the same functions run under the
tests and the `formulas` adapter, so there is no Windows-only logic to go untested.
"""

from __future__ import annotations

import xlwings as xw

from addin import functions  # noqa: F401  (registers the worksheet functions)
from addin.registry import WORKSHEET_FUNCTIONS
from addin.vba import FUNCTION_CATEGORY

for _name, _entry in WORKSHEET_FUNCTIONS.items():
    _function = _entry.function
    for _parameter in _entry.parameters:
        _function = xw.arg(_parameter.name, err_to_str=True)(_function)
    # xw.func last: xw.arg applies xlwings' decorator with no options first, which would reset the category.
    globals()[_name] = xw.func(category=FUNCTION_CATEGORY)(_function)
