"""The worksheet functions as xlwings serves them on Windows (`UDF Modules = addin.udfs`).

Each registered function is exposed under its own name with `xw.func`; on Linux the decorator does nothing and the
same functions run under the tests and the `formulas` adapter, so there is no Windows-only logic to go untested.
"""

from __future__ import annotations

import xlwings as xw

from addin import functions  # noqa: F401  (registers the worksheet functions)
from addin.registry import WORKSHEET_FUNCTIONS

for _name, _entry in WORKSHEET_FUNCTIONS.items():
    globals()[_name] = xw.func(category="ICS Benchmarking")(_entry.function)
