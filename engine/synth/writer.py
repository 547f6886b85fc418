"""Arrow tables in the canonical (or a provider's local) shape, written as Parquet or CSV.

Column types come from `engine.schema`: dates are date32, money decimal(18,2) built from whole pennies (so CSV shows
exactly two decimals and sums are exact), integers int32, counts float64, everything else string.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Final, Literal

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine import schema
from engine.synth.costs import DRIVERS, RESOURCES, UNITS, CostLines
from engine.synth.events import Records
from engine.synth.layouts import WIDE_COST_COLUMNS

FileFormat = Literal["parquet", "csv"]
MONEY: Final = pa.decimal128(18, 2)
_ARROW_TYPES: Final[dict[str, Any]] = {
    "text": pa.string(),
    "code": pa.string(),
    "flag": pa.string(),
    "integer": pa.int32(),
    "number": pa.float64(),
    "money": MONEY,
    "date": pa.date32(),
}
_NOT_WRITTEN: Final = frozenset({"patient_id", "episode_count"})


def money(pennies: npt.NDArray[np.int64], valid: npt.NDArray[np.bool_] | None = None) -> Any:
    """A decimal(18,2) Arrow array from whole pennies, exactly (no float rounding on the way)."""
    pennies = np.ascontiguousarray(pennies, dtype=np.int64)
    words = np.empty(2 * len(pennies), dtype=np.int64)
    words[0::2] = pennies
    words[1::2] = np.where(pennies < 0, -1, 0)
    validity = None
    nulls = 0
    if valid is not None and not valid.all():
        validity = pa.py_buffer(np.packbits(valid, bitorder="little").tobytes())
        nulls = int((~valid).sum())
    return pa.Array.from_buffers(MONEY, len(pennies), [validity, pa.py_buffer(words.tobytes())], null_count=nulls)


def _array(values: Any, column: schema.Column, n: int) -> Any:
    arrow_type = _ARROW_TYPES[column.type]
    if isinstance(values, (pa.Array, pa.ChunkedArray)):
        return values.cast(arrow_type)
    if isinstance(values, str):
        return pa.array([values], arrow_type).take(pa.array(np.zeros(n, dtype=np.int32)))
    array = np.asarray(values)
    if len(array) != n:
        raise ValueError(f"column {column.name} has {len(array)} values for {n} records")
    if column.type == "date":
        return pa.array(array.astype("datetime64[D]"), pa.date32())
    if column.type == "integer":
        return pa.array(array.astype(np.int32), pa.int32())
    if column.type == "number":
        return pa.array(array.astype(np.float64), pa.float64(), from_pandas=True)
    return pa.array(array.astype(str), pa.string())


def activity_table(records: Records, org_code: str, fin_year: str, mapping: dict[str, str]) -> Any:
    """The activity columns of the setting, in schema order, renamed by `mapping` (canonical -> local)."""
    n = len(records)
    values: dict[str, Any] = {**records.columns, "org_code": org_code, "fin_year": fin_year}
    if "episode_count" in mapping:
        values["episode_count"] = np.ones(n, dtype=np.int32)
    names, arrays = [], []
    for column in schema.activity_columns_for(records.setting):
        if column.name in _NOT_WRITTEN and column.name not in mapping:
            continue
        if column.name not in values:
            raise ValueError(f"the {records.setting} generator did not fill column {column.name}")
        names.append(mapping.get(column.name, column.name))
        arrays.append(_array(values[column.name], column, n))
    return pa.Table.from_arrays(arrays, names=names)


def _codes(table: tuple[str, ...], index: npt.NDArray[np.int64]) -> Any:
    """Strings from a small code list by index (-1 = null)."""
    valid = index >= 0
    taken = pa.array(list(table), pa.string()).take(pa.array(np.where(valid, index, 0).astype(np.int32)))
    return taken if valid.all() else _with_nulls(taken, valid)


def _with_nulls(array: Any, valid: npt.NDArray[np.bool_]) -> Any:
    return pc.if_else(pa.array(valid), array, pa.scalar(None, array.type))


def cost_lines_table(records: Records, lines: CostLines, org_code: str, fin_year: str) -> Any:
    """The cost lines of a chunk with the canonical cost line columns."""
    n = len(lines)
    record = pa.array(lines.record)
    values: dict[str, Any] = {
        "org_code": org_code,
        "fin_year": fin_year,
        "period": pa.array(np.asarray(records.columns["period"], dtype=np.int32)).take(record),
        "record_id": records.columns["record_id"].take(record),
        "cost_driver": _codes(DRIVERS, lines.driver),
        "cost_resource": _codes(RESOURCES, lines.resource),
        "cost": money(lines.pennies),
        "activity_count": pa.array(lines.count, pa.float64(), from_pandas=True),
        "activity_unit": _codes(UNITS, lines.unit),
        "location": _codes(tuple(lines.locations), lines.location.astype(np.int64)),
    }
    names, arrays = [], []
    for column in schema.COST_LINE_COLUMNS:
        names.append(column.name)
        arrays.append(_array(values[column.name], column, n))
    return pa.Table.from_arrays(arrays, names=names)


def wide_table(records: Records, lines: CostLines, org_code: str, fin_year: str) -> Any:
    """Activity columns plus one cost column per driver (blank where the record has no cost there)."""
    table = activity_table(records, org_code, fin_year, {})
    covered = {DRIVERS.index(d) for d in WIDE_COST_COLUMNS.values()}
    stray = set(np.flatnonzero(lines.lines_by_driver.sum(axis=0)).tolist()) - covered
    if stray:
        raise ValueError(f"wide layout has no column for drivers {sorted(DRIVERS[i] for i in stray)}")
    for header, driver in WIDE_COST_COLUMNS.items():
        index = DRIVERS.index(driver)
        table = table.append_column(header, money(lines.by_driver[:, index], lines.lines_by_driver[:, index] > 0))
    return table


def write(table: Any, path: Path, file_format: FileFormat) -> None:
    """Write one table; CSV is UTF-8 with a header row, ISO dates and two-decimal money."""
    if file_format == "parquet":
        pq.write_table(table, path)
    else:
        pacsv.write_csv(table, path, pacsv.WriteOptions(include_header=True))
