"""Read an extract file as a stream of Arrow batches, whatever its format, without holding it all in memory.

Every batch carries `__row`: the row as a spreadsheet shows it (header = row 1, first data row = 2, title rows above
the header counted) for CSV and XLSX, the record number from 1 for Parquet. CSV is streamed block by block (a 2 GB
file never sits in memory); rows with too few or too many fields are set aside with their row number, not lost.
"""

from __future__ import annotations

import codecs
import datetime as dt
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.errors import ExtractError

ROW = "__row"
CSV_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 256_000
HEADER_SEARCH_ROWS = 30
_UTF8_BOM = codecs.BOM_UTF8


@dataclass(frozen=True)
class MalformedRow:
    """A line whose field count does not match the header (truncated, misquoted or with stray delimiters)."""

    row: int | None
    expected: int
    actual: int


@dataclass(frozen=True)
class Origin:
    """Where a source came from, as the load log and error messages name it."""

    name: str  # the file name, or schema.table on the ICS SQL Server
    location: str  # the absolute path, or the table in full (server, database, schema.table)
    size_bytes: int | None  # file size; None for a table
    file_format: str  # csv, xlsx, parquet or server

    @classmethod
    def of_file(cls, path: Path) -> Origin:
        return cls(
            name=path.name,
            location=str(path.resolve()),
            size_bytes=path.stat().st_size if path.exists() else None,
            file_format=path.suffix.lstrip(".").lower(),
        )


@dataclass
class Source:
    """An opened extract: its headers and a one-pass stream of batches (`__row` plus one column per header)."""

    path: Path | None  # None for a table read from the ICS SQL Server
    file_format: str
    encoding: str | None
    headers: list[str]
    open_batches: Callable[[], Iterator[pa.RecordBatch]]
    malformed: list[MalformedRow] = field(default_factory=list)
    types: dict[str, pa.DataType] = field(default_factory=dict)

    def type_of(self, header: str) -> pa.DataType:
        """The column's Arrow type: text for CSV and XLSX, the stored type for Parquet."""
        return self.types.get(header, pa.string())

    def batches(self) -> Iterator[pa.RecordBatch]:
        return self.open_batches()


def open_source(
    path: Path, *, encoding: str = "auto", sheet: str | None = None, expected: Sequence[str] = ()
) -> Source:
    """Open a CSV, XLSX or Parquet extract. `expected` are header names that help find the header row in XLSX."""
    if not path.exists():
        raise ExtractError(str(path), "no such file")
    if path.stat().st_size == 0:
        raise ExtractError(path.name, "the file is empty (0 bytes). Ask the provider to send it again.")
    suffix = path.suffix.lower()
    if suffix in (".csv", ".txt"):
        return _open_csv(path, encoding)
    if suffix in (".xlsx", ".xlsm", ".xls"):
        return _open_xlsx(path, sheet, expected)
    if suffix == ".parquet":
        return _open_parquet(path)
    raise ExtractError(path.name, f"cannot read {suffix or 'files without an extension'}: send CSV, XLSX or Parquet")


def detect_encoding(path: Path) -> str:
    """utf-8 when the whole file decodes as UTF-8 (BOM or not), otherwise cp1252 (Windows 'ANSI' exports)."""
    decoder = codecs.getincrementaldecoder("utf-8")()
    with path.open("rb") as handle:
        while chunk := handle.read(16 << 20):
            try:
                decoder.decode(chunk)
            except UnicodeDecodeError:
                return "cp1252"
    try:
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return "cp1252"
    return "utf-8"


def _open_csv(path: Path, encoding: str) -> Source:
    chosen = detect_encoding(path) if encoding == "auto" else encoding
    headers = _csv_headers(path, chosen)
    if not headers:
        raise ExtractError(path.name, "the first line is blank: the file must start with a header row")
    source = Source(path=path, file_format="csv", encoding=chosen, headers=headers, open_batches=lambda: iter(()))

    def batches() -> Iterator[pa.RecordBatch]:
        source.malformed.clear()
        skipped: list[int] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            source.malformed.append(MalformedRow(row.number, row.expected_columns, row.actual_columns))
            if row.number is not None:
                skipped.append(row.number)
            return "skip"

        reader = pacsv.open_csv(
            path,
            read_options=pacsv.ReadOptions(
                use_threads=False,
                block_size=CSV_BLOCK_BYTES,
                encoding=chosen,
                column_names=headers,
                skip_rows=1,
            ),
            parse_options=pacsv.ParseOptions(invalid_row_handler=on_invalid, newlines_in_values=False),
            convert_options=pacsv.ConvertOptions(
                column_types=dict.fromkeys(headers, pa.string()),
                strings_can_be_null=False,
                quoted_strings_can_be_null=False,
            ),
        )
        produced = 0
        for batch in reader:
            rows = _csv_row_numbers(produced, batch.num_rows, skipped)
            produced += batch.num_rows
            yield _with_rows(batch, rows)

    source.open_batches = batches
    return source


def _csv_headers(path: Path, encoding: str) -> list[str]:
    with path.open("rb") as handle:
        first = handle.readline()
    if first.startswith(_UTF8_BOM):
        first = first[len(_UTF8_BOM) :]
    text = first.decode(encoding, errors="replace").rstrip("\r\n")
    if not text.strip():
        return []
    parsed = pacsv.read_csv(
        pa.BufferReader(text.encode("utf-8") + b"\n"),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False),
    )
    return [str(parsed.column(i)[0].as_py()).strip() for i in range(parsed.num_columns)]


def _csv_row_numbers(produced: int, count: int, skipped: list[int]) -> np.ndarray:
    """Spreadsheet row numbers for the next `count` good rows, stepping over the rows set aside as malformed.

    pyarrow numbers physical rows from 1 at the header, which is the spreadsheet row number.
    """
    rows = np.arange(produced + 2, produced + 2 + count, dtype=np.int64)
    for bad in sorted(skipped):
        rows[rows >= bad] += 1
    return rows


def _with_rows(batch: pa.RecordBatch, rows: np.ndarray) -> pa.RecordBatch:
    return pa.RecordBatch.from_arrays([pa.array(rows, pa.int64()), *batch.columns], names=[ROW, *batch.schema.names])


def _open_parquet(path: Path) -> Source:
    try:
        parquet = pq.ParquetFile(path)
    except (pa.ArrowInvalid, OSError) as exc:
        raise ExtractError(path.name, f"not a readable Parquet file ({exc}); export it again") from exc
    headers = list(parquet.schema_arrow.names)

    def batches() -> Iterator[pa.RecordBatch]:
        produced = 0
        for batch in parquet.iter_batches(batch_size=PARQUET_BATCH_ROWS, use_threads=True):
            rows = np.arange(produced + 1, produced + 1 + batch.num_rows, dtype=np.int64)
            produced += batch.num_rows
            yield _with_rows(batch, rows)

    types = {name: parquet.schema_arrow.field(name).type for name in headers}
    return Source(path=path, file_format="parquet", encoding=None, headers=headers, open_batches=batches, types=types)


def _open_xlsx(path: Path, sheet: str | None, expected: Sequence[str]) -> Source:
    from python_calamine import CalamineWorkbook

    try:
        workbook = CalamineWorkbook.from_path(str(path))
    except Exception as exc:
        raise ExtractError(path.name, f"not a readable Excel workbook ({exc}); save it again as .xlsx") from exc
    names = workbook.sheet_names
    if sheet is not None and sheet not in names:
        raise ExtractError(path.name, f"has no sheet {sheet!r}; sheets: {', '.join(names)}")
    values = workbook.get_sheet_by_name(sheet or names[0]).to_python(skip_empty_area=False)
    header_index = _find_header(values, expected)
    if header_index is None:
        raise ExtractError(path.name, "has no header row: the sheet is empty")
    headers = [_cell_text(v) or "" for v in values[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    data = values[header_index + 1 :]
    while data and all(_cell_text(v) is None for v in data[-1]):
        data.pop()
    columns = [[_cell_text(row[i]) if i < len(row) else None for row in data] for i in range(len(headers))]
    rows = np.arange(header_index + 2, header_index + 2 + len(data), dtype=np.int64)

    def batches() -> Iterator[pa.RecordBatch]:
        if data:
            arrays = [pa.array(rows, pa.int64()), *(pa.array(col, pa.string()) for col in columns)]
            yield pa.RecordBatch.from_arrays(arrays, names=[ROW, *headers])

    return Source(
        path=path,
        file_format="xlsx",
        encoding=None,
        headers=headers,
        open_batches=batches,
    )


def _find_header(values: Sequence[Sequence[object]], expected: Sequence[str]) -> int | None:
    """The header is the first row holding the most expected names; with none expected, the first non-blank row."""
    wanted = {e.strip().lower() for e in expected}
    best: tuple[int, int] | None = None
    for index, row in enumerate(values[:HEADER_SEARCH_ROWS]):
        texts = {t.lower() for t in (_cell_text(v) for v in row) if t}
        if not texts:
            continue
        score = len(texts & wanted)
        if best is None or score > best[1]:
            best = (index, score)
        if not wanted:
            break
    return None if best is None else best[0]


def _cell_text(value: object) -> str | None:
    """An Excel cell as the text a CSV export would hold: 110.0 -> '110', dates ISO, blanks None."""
    if value is None:
        return None
    if isinstance(value, bool):
        return "Y" if value else "N"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    return text or None
