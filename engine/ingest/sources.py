"""Read an extract file as a stream of Arrow batches, whatever its format, without holding it all in memory.

Every batch carries `__row`: the row as a spreadsheet shows it (header = row 1, first data row = 2, title rows above
the header counted) for CSV and XLSX, the record number from 1 for Parquet. CSV is streamed block by block (a 2 GB
file never sits in memory); rows with too few or too many fields are set aside with their row number, not lost.

A file named .csv is looked at before it is read: UTF-16 (as Excel's "Unicode text" and PowerShell save it) is read
as such, and a workbook, a Parquet file or other binary data with a .csv name is refused with a sentence saying what
it is. In XLSX, a formula whose result was never worked out (the file was written by a program that does not
calculate) is read as blank and reported, never as the 0 such programs store in its place.
"""

from __future__ import annotations

import codecs
import csv
import datetime as dt
import re
import zipfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from xml.etree import ElementTree

import numpy as np
import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from engine.errors import ExtractError

ROW = "__row"
CSV_BLOCK_BYTES = 4 << 20
PARQUET_BATCH_ROWS = 256_000
HEADER_SEARCH_ROWS = 30
SNIFF_BYTES = 64 << 10
_UTF8_BOM = codecs.BOM_UTF8
_TEXT_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_NOT_CSV = (
    (b"PK\x03\x04", "an Excel workbook (or another zipped file)", "save it as CSV from Excel, or rename it to .xlsx"),
    (b"PAR1", "a Parquet file", "rename it to .parquet"),
    (b"\xd0\xcf\x11\xe0", "an Excel 97-2003 workbook", "open it in Excel and save it as CSV or .xlsx"),
    (b"%PDF", "a PDF document", "export the extract again as CSV"),
)
_CONTROL_BYTES = frozenset(range(0, 9)) | frozenset(range(14, 32))


@dataclass(frozen=True)
class MalformedRow:
    """A line whose field count does not match the header (truncated, misquoted or with stray delimiters)."""

    row: int | None
    expected: int
    actual: int
    unmatched_quote: bool = False  # a double quote that opens a value and never closes it on its line


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


@dataclass(frozen=True)
class UncalculatedCell:
    """An XLSX cell holding a formula with no calculated value: read as blank, reported with its row and header."""

    row: int
    header: str
    cell: str
    formula: str | None


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
    uncalculated: list[UncalculatedCell] = field(default_factory=list)
    # Set by a pass that found lines run together (an unmatched quote): read again with `careful_batches`.
    needs_careful_reading: bool = False
    careful_batches: Callable[[], Iterator[pa.RecordBatch]] | None = None
    data_lines: int | None = None  # the rows a correct read of a CSV yields, loaded or set aside (scan_text)

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
    """utf-8 when the whole file decodes as UTF-8 (BOM or not), otherwise cp1252 (Windows 'ANSI' exports), or
    latin-1 for the rare file holding bytes cp1252 leaves undefined."""
    return scan_text(path, "auto").encoding


@dataclass(frozen=True)
class TextScan:
    """What one pass over a text file found: the encoding it decodes with, and how many rows a correct read yields."""

    encoding: str
    data_lines: int  # non-empty lines after the header: each is a row, loaded or set aside as malformed


def scan_text(path: Path, declared: str) -> TextScan:
    """Read a CSV once: find its encoding (`auto`: UTF-8, else Windows-1252, else latin-1) or check the declared one
    decodes, and count its lines, so a reader that ran lines together can be told from one that read them all."""
    candidates = ("utf-8", "cp1252", "latin-1") if declared == "auto" else (declared,)
    lines = _LineCounter()
    for index, encoding in enumerate(candidates):
        decoder = codecs.getincrementaldecoder(encoding)()
        try:
            with path.open("rb") as handle:
                while chunk := handle.read(16 << 20):
                    if index == 0:
                        lines.add(chunk)
                    decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        return TextScan(encoding, lines.data_lines())
    raise ExtractError(
        path.name,
        f'cannot be read as {declared} (the encoding [[extracts]] sets for it); set encoding = "auto", '
        "or save the file as CSV UTF-8",
    )


def scan_wide_text(path: Path, encoding: str) -> TextScan:
    """`scan_text` for UTF-16 and UTF-32, whose line breaks are not single bytes: decoded in Python (a rare file)."""
    counter = _LineCounter()
    with path.open(encoding=encoding, newline="") as handle:
        while chunk := handle.read(4 << 20):
            counter.add(chunk.encode("utf-8"))
    return TextScan(encoding, counter.data_lines())


class _LineCounter:
    """Counts the non-empty lines of bytes given in pieces (a line of nothing, or of a lone \r, is empty)."""

    def __init__(self) -> None:
        self.non_empty = 0
        self.current = 0  # length of the line being read so far
        self.last = -1  # its last byte

    def add(self, chunk: bytes) -> None:
        data = np.frombuffer(chunk, np.uint8)
        ends = np.flatnonzero(data == 10)
        if not len(ends):
            self._extend(data)
            return
        starts = np.concatenate(([0], ends[:-1] + 1))
        lengths = ends - starts
        lengths[0] += self.current
        before = data[np.maximum(ends - 1, 0)].astype(np.int16)  # the byte before each line break
        if ends[0] == 0:
            before[0] = self.last
        empty = (lengths == 0) | ((lengths == 1) & (before == 13))
        self.non_empty += int(len(ends) - np.count_nonzero(empty))
        self.current = 0
        self.last = -1
        self._extend(data[ends[-1] + 1 :])

    def _extend(self, rest: np.ndarray) -> None:
        if len(rest):
            self.current += len(rest)
            self.last = int(rest[-1])

    def data_lines(self) -> int:
        trailing = self.current > 1 or (self.current == 1 and self.last != 13)
        return max(self.non_empty + int(trailing) - 1, 0)


def sniff_text_encoding(path: Path) -> str | None:
    """The encoding a file named .csv must be read with when its first bytes say so (UTF-16 or UTF-32, with or without
    a byte order mark), None for an ordinary 8-bit text file; refuses a file that is not text at all."""
    with path.open("rb") as handle:
        head = handle.read(SNIFF_BYTES)
    for signature, what, fix in _NOT_CSV:
        if head.startswith(signature):
            raise ExtractError(path.name, f"is not a CSV file: it is {what} with a .csv name; {fix}")
    for bom, encoding in _TEXT_BOMS:
        if head.startswith(bom):
            return encoding
    if head.count(0) > len(head) // 10:  # text in UTF-16 is half zero bytes; a stray NUL in a text file is not
        unbommed = _utf16_without_bom(head)
        if unbommed is None:
            raise ExtractError(path.name, _NOT_TEXT)
        return unbommed
    sample = head[:4096]
    if sample and sum(byte in _CONTROL_BYTES for byte in sample) > len(sample) // 100:
        raise ExtractError(path.name, _NOT_TEXT)
    return None


_NOT_TEXT = (
    "is not a CSV file: it holds binary data, not lines of comma-separated text (perhaps a damaged or a different "
    "kind of file renamed to .csv). Export the extract again as CSV (UTF-8) and load that"
)


def _utf16_without_bom(head: bytes) -> str | None:
    """utf-16-le or utf-16-be when every other byte is zero and the rest is text; None for binary data."""
    even, odd = head[0:400:2], head[1:400:2]
    for zeros, text, encoding in ((odd, even, "utf-16-le"), (even, odd, "utf-16-be")):
        if zeros and zeros.count(0) >= len(zeros) * 0.9 and text.count(0) == 0:
            return encoding
    return None


def _open_csv(path: Path, encoding: str) -> Source:
    sniffed = sniff_text_encoding(path)
    scanned = scan_wide_text(path, sniffed) if sniffed else scan_text(path, encoding)
    chosen = scanned.encoding
    headers = _named(_csv_headers(path, chosen))
    if not any(headers):
        raise ExtractError(path.name, "the first line is blank: the file must start with a header row")
    source = Source(path=path, file_format="csv", encoding=chosen, headers=headers, open_batches=lambda: iter(()))

    def batches() -> Iterator[pa.RecordBatch]:
        source.malformed.clear()
        skipped: list[int] = []

        def on_invalid(row: pacsv.InvalidRow) -> str:
            if "\n" in (row.text or ""):
                # A quote that never closed ran the lines after it into one: every row from there on would be
                # lost. The file is read again line by line (careful_batches), which keeps them.
                source.needs_careful_reading = True
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
    source.careful_batches = lambda: _careful_batches(path, chosen, headers, source)
    source.data_lines = scanned.data_lines
    return source


CAREFUL_BATCH_ROWS = 100_000


def _careful_batches(path: Path, encoding: str, headers: list[str], source: Source) -> Iterator[pa.RecordBatch]:
    """The rows of a CSV read one physical line at a time, so a line with an unmatched quote costs only itself.

    Slower than the streaming reader (Python parses each line), and used only for a file in which that reader found
    lines run together."""
    source.malformed.clear()
    width = len(headers)
    rows: list[int] = []
    columns: list[list[str]] = [[] for _ in headers]
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, newline="") as handle:
        next(handle, None)
        for number, line in enumerate(handle, start=2):
            text = line.rstrip("\r\n")
            if not text:
                continue
            try:
                fields = next(csv.reader([text], strict=True), [])
            except csv.Error:  # a quote opens a value and the line ends before it closes
                source.malformed.append(MalformedRow(number, width, 0, unmatched_quote=True))
                continue
            if len(fields) != width:
                source.malformed.append(MalformedRow(number, width, len(fields)))
                continue
            rows.append(number)
            for values, value in zip(columns, fields, strict=True):
                values.append(value)
            if len(rows) == CAREFUL_BATCH_ROWS:
                yield _text_batch(rows, headers, columns)
                rows, columns = [], [[] for _ in headers]
    if rows:
        yield _text_batch(rows, headers, columns)


def _text_batch(rows: list[int], headers: list[str], columns: list[list[str]]) -> pa.RecordBatch:
    arrays = [pa.array(rows, pa.int64()), *(pa.array(values, pa.string()) for values in columns)]
    return pa.RecordBatch.from_arrays(arrays, names=[ROW, *headers])


def _csv_headers(path: Path, encoding: str) -> list[str]:
    with path.open(encoding="utf-8-sig" if encoding == "utf-8" else encoding, errors="replace", newline="") as handle:
        text = handle.readline().rstrip("\r\n")
    if not text.strip():
        return []
    parsed = pacsv.read_csv(
        pa.BufferReader(text.encode("utf-8") + b"\n"),
        read_options=pacsv.ReadOptions(autogenerate_column_names=True),
        convert_options=pacsv.ConvertOptions(column_types={}, strings_can_be_null=False),
    )
    values = (parsed.column(i)[0].as_py() for i in range(parsed.num_columns))
    return ["" if value is None else str(value).strip() for value in values]  # a blank header reads as null


def _named(headers: list[str]) -> list[str]:
    """Headers with a blank one named by its position, as the load log and messages show it ("(column 7)")."""
    return [header or f"(column {index})" for index, header in enumerate(headers, start=1)]


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
    chosen = sheet or names[0]
    values = workbook.get_sheet_by_name(chosen).to_python(skip_empty_area=False)
    header_index = _find_header(values, expected)
    if header_index is None:
        raise ExtractError(path.name, "has no header row: the sheet is empty")
    headers = [_cell_text(v) or "" for v in values[header_index]]
    while headers and not headers[-1]:
        headers.pop()
    headers = _named(headers)
    data = values[header_index + 1 :]
    while data and all(_cell_text(v) is None for v in data[-1]):
        data.pop()
    columns = [[_cell_text(row[i]) if i < len(row) else None for row in data] for i in range(len(headers))]
    uncalculated = []
    for (row_index, column_index), formula in _uncalculated_formulas(path, chosen).items():
        if header_index < row_index <= header_index + len(data) and column_index < len(headers):
            columns[column_index][row_index - header_index - 1] = None
            cell = f"{_column_letters(column_index)}{row_index + 1}"
            uncalculated.append(UncalculatedCell(row_index + 1, headers[column_index], cell, formula))
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
        uncalculated=sorted(uncalculated, key=lambda c: (c.row, c.cell)),
    )


_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_RELATIONSHIP = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id"
_CELL_REFERENCE = re.compile(r"^([A-Z]+)([0-9]+)$")


def _uncalculated_formulas(path: Path, sheet: str) -> dict[tuple[int, int], str | None]:
    """(row, column) from 0 -> formula text, for every formula cell of `sheet` whose stored value cannot be trusted:
    it has none, or the workbook asks to be recalculated when opened (`fullCalcOnLoad`), as files written by programs
    that do not calculate do, with 0 stored in place of every result."""
    try:
        with zipfile.ZipFile(path) as archive:
            workbook = ElementTree.fromstring(archive.read("xl/workbook.xml"))
            sheet_xml = _sheet_part(archive, workbook, sheet)
            if sheet_xml is None or not _mentions_formulas(archive, sheet_xml):
                return {}
            calc = workbook.find(f"{_MAIN}calcPr")
            recalculated = calc is not None and calc.get("fullCalcOnLoad") in ("1", "true")
            found: dict[tuple[int, int], str | None] = {}
            with archive.open(sheet_xml) as stream:
                for _, element in ElementTree.iterparse(stream):
                    if element.tag != f"{_MAIN}c":
                        continue
                    formula = element.find(f"{_MAIN}f")
                    if formula is not None and (recalculated or element.find(f"{_MAIN}v") is None):
                        position = _cell_position(element.get("r", ""))
                        if position is not None:
                            found[position] = formula.text
                    element.clear()
            return found
    except (KeyError, zipfile.BadZipFile, ElementTree.ParseError):
        return {}  # not the usual layout (calamine read it): nothing to add


def _sheet_part(archive: zipfile.ZipFile, workbook: ElementTree.Element, sheet: str) -> str | None:
    rel_id = next((s.get(_RELATIONSHIP) for s in workbook.iter(f"{_MAIN}sheet") if s.get("name") == sheet), None)
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    target = next((r.get("Target") for r in rels if r.get("Id") == rel_id), None)
    if target is None:
        return None
    return target.lstrip("/") if target.startswith("/") else f"xl/{target}"


def _mentions_formulas(archive: zipfile.ZipFile, part: str) -> bool:
    """A quick look for a formula element, so a sheet of plain values (nearly every extract) is not parsed twice."""
    tail = b""
    with archive.open(part) as stream:
        while chunk := stream.read(1 << 20):
            if re.search(rb"<(\w+:)?f[ >/]", tail + chunk):
                return True
            tail = chunk[-16:]
    return False


def _cell_position(reference: str) -> tuple[int, int] | None:
    match = _CELL_REFERENCE.match(reference)
    if match is None:
        return None
    column = 0
    for letter in match.group(1):
        column = column * 26 + ord(letter) - ord("A") + 1
    return int(match.group(2)) - 1, column - 1


def _column_letters(index: int) -> str:
    letters = ""
    index += 1
    while index:
        index, remainder = divmod(index - 1, 26)
        letters = chr(ord("A") + remainder) + letters
    return letters


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
