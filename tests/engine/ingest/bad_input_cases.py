"""The bad-input table: every way a hostile or careless data source has been seen to break a load, one case each.

Each case writes the files of one `icsbench load` (beside good files that must load whatever happens to the bad
ones), and says what must follow: each file's outcome, the words its message holds, the exact records and costs the
store then holds (no good row lost, no value silently wrong) and the issues recorded with their row and column.
tests/engine/ingest/test_bad_input_table.py runs them through the command line and checks, for every case, that no
traceback was printed and no NHS number reached the store or the screen. `python -m tests.engine.ingest.bad_input_cases`
prints the table of cases and outcomes.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import openpyxl
import pyarrow as pa
import pyarrow.parquet as pq
import xlsxwriter

from engine import nhs_number
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

# Valid NHS numbers (999 test range) sent where they must never be kept: never in the store, a log or the screen.
STRAY_NHS = nhs_number.synthetic_numbers(np.array([1000, 2000, 3000]))
PSEUDONYM = "ab" * 32  # what a pseudonym looks like: 64 hexadecimal characters

Issue = tuple[str, int | None, str | None, str]  # (file, row, column, check)


@dataclass(frozen=True)
class Case:
    name: str
    problem: str  # what the source got wrong, for the table of cases
    files: Callable[[Workspace], Sequence[Path]]  # writes the files of one load; returns them in the order given
    outcome: dict[str, str]  # file name -> status it must end with (loaded, loaded_with_rejections, failed ...)
    says: dict[str, tuple[str, ...]] = field(default_factory=dict)  # file name -> words its message must hold
    records: frozenset[str] | None = None  # "ORG/record_id" of every activity record the store must then hold
    costs: dict[str, Decimal] | None = None  # "ORG/record_id" -> the total cost the store must then hold
    issues: frozenset[Issue] = frozenset()  # issues that must be recorded (file, row, column, check)
    config: Callable[[str], str] = field(default=lambda text: text)  # how the case changes the test config
    before: Callable[[Workspace], Sequence[Path]] | None = None  # files loaded by an earlier `icsbench load`
    check: Callable[[Workspace], None] | None = None  # anything else that must hold afterwards
    exit_code: int | None = None  # when the command itself must stop (a bad config or store path)
    cli_says: tuple[str, ...] = ()  # words the command's output must hold
    config_bytes: Callable[[str], bytes] | None = None  # the config file as written (another encoding)

    @property
    def result(self) -> str:
        """The outcome in a few words, for the table of cases."""
        if self.exit_code:
            return f"command stops (exit {self.exit_code}): {'; '.join(self.cli_says)}"
        parts = [f"{name}: {status}" for name, status in self.outcome.items()]
        return "; ".join(parts)


def _ids(*records: str) -> frozenset[str]:
    return frozenset(records)


# ------------------------------------------------------------------------------------------------ building files


def activity(
    ws: Workspace, name: str = "ZZA_apc_202324_activity.csv", ids: Sequence[str] = ("R1", "R2"), **kw: Any
) -> Path:
    return ws.write_csv(name, APC_HEADER, [apc_row(i, **kw) for i in ids])


def zzb(ws: Workspace, name: str = "ZZB_apc_202324_activity.csv", ids: Sequence[str] = ("R1", "R2")) -> Path:
    return activity(ws, name, ids, org_code="ZZB")


def with_rows(ws: Workspace, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], **kw: Any) -> Path:
    return ws.write_csv(name, header, rows, **kw)


def encoded(ws: Workspace, name: str, encoding: str, bom: bytes = b"", ids: Sequence[str] = ("R1", "R2")) -> Path:
    """ZZB's activity (R1, R2) written in another encoding."""
    text = _csv_text(APC_HEADER, [apc_row(i, org_code="ZZB") for i in ids])
    return ws.write_bytes(name, bom + text.encode(encoding))


def _csv_text(header: Sequence[str], rows: Sequence[Sequence[Any]]) -> str:
    import csv

    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    writer.writerows(rows)
    return buffer.getvalue()


def raw_lines(ws: Workspace, name: str, lines: Sequence[str], encoding: str = "utf-8") -> Path:
    return ws.write_bytes(name, "".join(line + "\r\n" for line in lines).encode(encoding))


def apc_line(record_id: str, **kw: Any) -> str:
    return ",".join(str(v) for v in apc_row(record_id, **kw))


def costs(ws: Workspace, values: Sequence[Any], name: str = "ZZA_apc_202324_cost_lines.csv", **kw: Any) -> Path:
    """One cost line per value, for records R1, R2, R3 ... in turn."""
    return ws.write_csv(name, COST_HEADER, [cost_row(f"R{i}", v, **kw) for i, v in enumerate(values, start=1)])


def three_records(ws: Workspace) -> Path:
    return activity(ws, ids=("R1", "R2", "R3"))


def parquet_costs(
    ws: Workspace,
    values: Sequence[Any],
    kind: pa.DataType,
    name: str = "ZZA_apc_202324_cost_lines.parquet",
    counts: Sequence[Any] | None = None,
) -> Path:
    n = len(values)
    table = pa.table(
        {
            "org_code": ["ZZA"] * n,
            "fin_year": ["2023/24"] * n,
            "period": pa.array([1] * n, pa.int32()),
            "record_id": [f"R{i}" for i in range(1, n + 1)],
            "cost_driver": ["ward"] * n,
            "cost": pa.array(values, kind),
            "activity_count": pa.array(counts if counts is not None else [2.0] * n, pa.float64()),
        }
    )
    path = ws.root / name
    pq.write_table(table, path)
    return path


def xlsx_openpyxl(
    ws: Workspace, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], titles: int = 0
) -> Path:
    book = openpyxl.Workbook()
    sheet = book.active
    for i in range(titles):
        sheet.append([f"Extract title line {i + 1}"])
    sheet.append(list(header))
    for row in rows:
        sheet.append(list(row))
    path = ws.root / name
    book.save(path)
    return path


def xlsx_xlsxwriter(
    ws: Workspace, name: str, header: Sequence[str], rows: Sequence[Sequence[Any]], *, trusted: bool = False
) -> Path:
    """A workbook as xlsxwriter writes it: formulas stored with 0 as their value and a recalculate-on-open flag
    (`trusted` takes the flag away, as a file saved by a program that calculates would have it)."""
    path = ws.root / name
    book = xlsxwriter.Workbook(str(path))
    sheet = book.add_worksheet("Sheet1")
    sheet.write_row(0, 0, list(header))
    for r, row in enumerate(rows, start=1):
        for c, value in enumerate(row):
            if isinstance(value, str) and value.startswith("="):
                sheet.write_formula(r, c, value, None, 12 if trusted else 0)
            else:
                sheet.write(r, c, value)
    book.close()
    if trusted:
        with zipfile.ZipFile(path) as archive:
            parts = {n: archive.read(n) for n in archive.namelist()}
        parts["xl/workbook.xml"] = parts["xl/workbook.xml"].replace(b' fullCalcOnLoad="1"', b"")
        with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
            for n, data in parts.items():
                archive.writestr(n, data)
    return path


def extra_extract(entry: str) -> Callable[[str], str]:
    return lambda text: text + "\n" + entry + "\n"


def ics_option(option: str) -> Callable[[str], str]:
    return lambda text: text.replace('name = "Test ICS"', f'name = "Test ICS"\n{option}', 1)


def store_path(value: str) -> Callable[[str], str]:
    return lambda text: text.replace('path = "store.duckdb"', f'path = "{value}"', 1)


EU_EXTRACT = extra_extract(
    '[[extracts]]\npattern = "*_eu_*_cost_lines.*"\nsetting = "apc"\nlayout = "cost_lines"\nnumber_format = "1.234,56"'
)
UTF8_EXTRACT = extra_extract('[[extracts]]\npattern = "*_u8_*_activity.*"\nsetting = "apc"\nencoding = "utf-8"')
SHEET_EXTRACT = extra_extract('[[extracts]]\npattern = "*_sheet_*_activity.*"\nsetting = "apc"\nsheet = "Data"')
PATIENT_ID_HEADER = [h if h != "nhs_number" else "patient_id" for h in APC_HEADER]


def _patient_rows(values: Sequence[str]) -> list[list[Any]]:
    return [apc_row(f"R{i}", nhs_number=v) for i, v in enumerate(values, start=1)]


def _good_plus(*bad: Callable[[Workspace], Path]) -> Callable[[Workspace], list[Path]]:
    """ZZA's good activity file (R1, R2) and the bad file(s), loaded together."""
    return lambda ws: [activity(ws), *(make(ws) for make in bad)]


def _query_equals(sql: str, expected: list[tuple[Any, ...]]) -> Callable[[Workspace], None]:
    def check(ws: Workspace) -> None:
        got = ws.query(sql)
        assert got == expected, (sql, got)

    return check


def _all(*checks: Callable[[Workspace], None]) -> Callable[[Workspace], None]:
    def check(ws: Workspace) -> None:
        for c in checks:
            c(ws)

    return check


GOOD = _ids("ZZA/R1", "ZZA/R2")
ACT = "ZZA_apc_202324_activity.csv"
COST = "ZZA_apc_202324_cost_lines.csv"
BAD = "ZZB_apc_202324_activity.csv"


def _zip_named(ws: Workspace, name: str) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("xl/workbook.xml", "<workbook/>")
    return ws.write_bytes(name, buffer.getvalue())


def _parquet_bytes() -> bytes:
    buffer = io.BytesIO()
    pq.write_table(pa.table({"a": [1, 2]}), buffer)
    return buffer.getvalue()


def _truncated_parquet(ws: Workspace) -> Path:
    path = parquet_costs(ws, [Decimal("1.00")] * 50, pa.decimal128(18, 2), name="ZZB_apc_202324_cost_lines.parquet")
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    return path


def _five_files(bad: Callable[[Workspace], Path]) -> Callable[[Workspace], list[Path]]:
    """Four good files (ZZA activity and costs, ZZB activity, ZZA critical care) and one bad one."""

    def build(ws: Workspace) -> list[Path]:
        cc = ["org_code", "fin_year", "period", "record_id", "apc_record_id", "unit_type", "hrg", "bed_days"]
        return [
            activity(ws),
            costs(ws, ["10.00", "20.00"]),
            zzb(ws, "ZZB_apc_202324_P1_activity.csv"),
            with_rows(ws, "ZZA_cc_202324_activity.csv", cc, [["ZZA", "2023/24", 1, "C1", "R1", "adult", "XC05Z", 2]]),
            bad(ws),
        ]

    return build


def _quarter_in_two_files(ws: Workspace) -> list[Path]:
    first = [
        apc_row("R1", period=1),
        apc_row("R2", period=2, admission_date="2023-05-01", discharge_date="2023-05-02", los=1),
        apc_row("R3", period=3, admission_date="2023-06-01", discharge_date="2023-06-02", los=1),
    ]
    second = [
        apc_row("R4", period=3, admission_date="2023-06-10", discharge_date="2023-06-12", los=2),
        apc_row("R5", period=3, admission_date="2023-06-11", discharge_date="2023-06-12", los=1),
    ]
    return [
        ws.write_csv("ZZA_apc_202324_Q1a_activity.csv", APC_HEADER, first),
        ws.write_csv("ZZA_apc_202324_Q1b_activity.csv", APC_HEADER, second),
        ws.write_csv(
            "ZZA_apc_202324_Q1a_cost_lines.csv",
            COST_HEADER,
            [cost_row(r, "10.00", period=p) for r, p in (("R1", 1), ("R2", 2), ("R3", 3))],
        ),
        ws.write_csv(
            "ZZA_apc_202324_Q1b_cost_lines.csv", COST_HEADER, [cost_row(r, "5.00", period=3) for r in ("R4", "R5")]
        ),
    ]


def _same_file_twice(ws: Workspace) -> list[Path]:
    path = costs(ws, ["10.00", "20.00"])
    return [activity(ws), path, path]


def _same_contents(ws: Workspace) -> list[Path]:
    path = costs(ws, ["10.00", "20.00"])
    copy = ws.write_bytes("ZZA_apc_202324_zcopy_cost_lines.csv", path.read_bytes())
    return [activity(ws), path, copy]


def _blank_header(ws: Workspace) -> Path:
    header = [*APC_HEADER, ""]
    return ws.write_csv(BAD, header, [[*apc_row(i, org_code="ZZB"), "note"] for i in ("R1", "R2")])


def _no_header(ws: Workspace) -> Path:
    return raw_lines(ws, BAD, [apc_line("R1", org_code="ZZB", nhs_number=STRAY_NHS[0]), apc_line("R2", org_code="ZZB")])


def _fails(name: str, problem: str, make: Callable[[Workspace], Path], words: tuple[str, ...], file: str = BAD) -> Case:
    """A file that cannot be loaded at all, beside ZZA's good one: it fails with `words`, the good one loads."""
    return Case(name, problem, _good_plus(make), {ACT: "loaded", file: "failed"}, says={file: words}, records=GOOD)


def _read_anyway(name: str, problem: str, encoding: str, bom: bytes = b"") -> Case:
    """ZZB's activity in another encoding, which loads as it would in UTF-8."""
    return Case(
        name,
        problem,
        _good_plus(lambda ws: encoded(ws, BAD, encoding, bom)),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
    )


def _one_bad_cost(name: str, problem: str, value: str) -> Case:
    """A cost line whose cost is not an amount (before a good one): it is quarantined, the good one loads."""
    return Case(
        name,
        problem,
        lambda ws: [three_records(ws), costs(ws, [value, "5.00"])],
        {ACT: "loaded", COST: "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R2": Decimal("5.00")},
        issues=frozenset({(COST, 2, "cost", "invalid_value")}),
    )


def _quarantined_row(name: str, problem: str, column: str, check: str, **value: Any) -> Case:
    """ZZB's one record with a bad key value: quarantined, with its row and column; ZZA's good file loads."""
    return Case(
        name,
        problem,
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), **({"org_code": "ZZB"} | value))),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD,
        issues=frozenset({(BAD, 2, column, check)}),
    )


def _blanked(name: str, problem: str, column: str, **value: Any) -> Case:
    """ZZB's one record with a bad descriptive value: it loads with the value blank and a warning."""
    return Case(
        name,
        problem,
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", **value)),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        issues=frozenset({(BAD, 2, column, "invalid_value")}),
    )


CASES: tuple[Case, ...] = (
    # --------------------------------------------------------------------------------------- whole files
    _fails(
        "empty_file",
        "a file of 0 bytes",
        lambda ws: ws.write_bytes(BAD, b""),
        ("empty (0 bytes)", "send it again"),
    ),
    Case(
        "header_only",
        "a header and no rows",
        _good_plus(lambda ws: ws.write_csv(BAD, APC_HEADER, [])),
        {ACT: "loaded", BAD: "empty"},
        says={BAD: ("no data rows", "store is unchanged")},
        records=GOOD,
    ),
    _read_anyway("utf16_le_with_bom", "CSV saved as UTF-16 (Excel's Unicode text)", "utf-16"),
    _read_anyway("utf16_be_with_bom", "CSV saved as big-endian UTF-16", "utf-16-be", b"\xfe\xff"),
    _read_anyway("utf16_without_bom", "UTF-16 with no byte order mark", "utf-16-le"),
    _read_anyway("utf32_with_bom", "CSV saved as UTF-32", "utf-32"),
    _read_anyway("utf8_with_bom", "UTF-8 with a byte order mark before the first header", "utf-8", b"\xef\xbb\xbf"),
    Case(
        "windows_1252_pounds",
        "Windows-1252 text with £ and accents",
        lambda ws: [activity(ws), costs(ws, ["£1,234.50", "£2.00"], encoding="cp1252", location="Café – East")],
        {ACT: "loaded", COST: "loaded"},
        records=GOOD,
        costs={"ZZA/R1": Decimal("1234.50"), "ZZA/R2": Decimal("2.00")},
        check=_query_equals("SELECT DISTINCT location FROM cost_lines", [("Café – East",)]),
    ),
    _fails(
        "random_bytes_named_csv",
        "random bytes with a .csv name",
        lambda ws: ws.write_bytes(BAD, np.random.default_rng(7).bytes(6000)),
        ("not a CSV file", "binary data", "Export the extract again"),
    ),
    _fails(
        "workbook_named_csv",
        "an .xlsx workbook renamed to .csv",
        lambda ws: _zip_named(ws, BAD),
        ("Excel workbook", "rename it to .xlsx"),
    ),
    _fails(
        "parquet_named_csv",
        "a Parquet file renamed to .csv",
        lambda ws: ws.write_bytes(BAD, _parquet_bytes()),
        ("a Parquet file", "rename it to .parquet"),
    ),
    _fails(
        "xls_named_csv",
        "an Excel 97-2003 .xls renamed to .csv",
        lambda ws: ws.write_bytes(BAD, b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + bytes(500)),
        ("Excel 97-2003 workbook",),
    ),
    _fails(
        "pdf_named_csv",
        "a PDF renamed to .csv",
        lambda ws: ws.write_bytes(BAD, b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n"),
        ("a PDF document",),
    ),
    _fails(
        "random_bytes_named_xlsx",
        "random bytes with a .xlsx name",
        lambda ws: ws.write_bytes("ZZB_apc_202324_activity.xlsx", np.random.default_rng(8).bytes(3000)),
        ("not a readable Excel workbook", "save it again"),
        file="ZZB_apc_202324_activity.xlsx",
    ),
    _fails(
        "random_bytes_named_parquet",
        "random bytes with a .parquet name",
        lambda ws: ws.write_bytes("ZZB_apc_202324_activity.parquet", np.random.default_rng(9).bytes(3000)),
        ("not a readable Parquet file", "export it again"),
        file="ZZB_apc_202324_activity.parquet",
    ),
    _fails(
        "truncated_parquet",
        "a Parquet file cut off half way (a copy that did not finish)",
        _truncated_parquet,
        ("Parquet",),
        file="ZZB_apc_202324_cost_lines.parquet",
    ),
    _fails(
        "blank_first_line",
        "a blank line above the header",
        lambda ws: raw_lines(ws, BAD, ["", ",".join(APC_HEADER), apc_line("R1", org_code="ZZB")]),
        ("first line is blank", "header row"),
    ),
    _fails(
        "no_header_row",
        "no header row: the first line is data (holding an NHS number)",
        _no_header,
        ("missing required column(s)", "Headers found", "[mappings."),
    ),
    _fails(
        "unknown_extension",
        "a .json file",
        lambda ws: ws.write_bytes("ZZB_apc_202324_activity.json", b"[]"),
        ("cannot read .json", "send CSV, XLSX or Parquet"),
        file="ZZB_apc_202324_activity.json",
    ),
    _fails(
        "no_matching_pattern",
        "a file no [[extracts]] pattern matches",
        lambda ws: activity(ws, "mystery.csv", ("R7",)),
        ("no [[extracts]] pattern", "Add an [[extracts]] entry"),
        file="mystery.csv",
    ),
    Case(
        "declared_utf8_but_windows_1252",
        "encoding = utf-8 declared, the file is Windows-1252",
        lambda ws: [activity(ws), encoded(ws, "ZZB_u8_202324_activity.csv", "cp1252", "£".encode("cp1252"))],
        {ACT: "loaded", "ZZB_u8_202324_activity.csv": "failed"},
        says={"ZZB_u8_202324_activity.csv": ("cannot be read as utf-8", 'encoding = "auto"')},
        records=GOOD,
        config=UTF8_EXTRACT,
    ),
    Case(
        "junk_among_five_files",
        "one file of random bytes among five",
        _five_files(lambda ws: ws.write_bytes("ZZB_apc_202324_P2_activity.csv", np.random.default_rng(3).bytes(4000))),
        {
            ACT: "loaded",
            COST: "loaded",
            "ZZB_apc_202324_P1_activity.csv": "loaded",
            "ZZA_cc_202324_activity.csv": "loaded",
            "ZZB_apc_202324_P2_activity.csv": "failed",
        },
        records=GOOD | _ids("ZZB/R1", "ZZB/R2", "ZZA/C1"),
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
    ),
    Case(
        "utf16_among_five_files",
        "one UTF-16 file among five (it used to cost all of them)",
        _five_files(lambda ws: encoded(ws, "ZZB_apc_202324_P2_activity.csv", "utf-16", ids=("R3", "R4"))),
        {
            ACT: "loaded",
            COST: "loaded",
            "ZZB_apc_202324_P1_activity.csv": "loaded",
            "ZZA_cc_202324_activity.csv": "loaded",
            "ZZB_apc_202324_P2_activity.csv": "loaded",
        },
        records=GOOD | _ids("ZZB/R1", "ZZB/R2", "ZZB/R3", "ZZB/R4", "ZZA/C1"),
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
    ),
    # ------------------------------------------------------------------------------------------------ headers
    _fails(
        "repeated_header",
        "two columns headed age",
        lambda ws: ws.write_csv(BAD, [*APC_HEADER, "age"], [[*apc_row("R1", org_code="ZZB"), 55]]),
        ("columns 13 and 16 are both headed 'age'", "Rename or remove one"),
    ),
    _fails(
        "repeated_header_other_case",
        "columns headed age and AGE",
        lambda ws: ws.write_csv(BAD, [*APC_HEADER, "AGE"], [[*apc_row("R1", org_code="ZZB"), 55]]),
        ("columns 13 and 16", "ignoring case"),
    ),
    Case(
        "reserved_header_patient_id",
        "a column named __patient_id (it used to overwrite every pseudonym)",
        _good_plus(
            lambda ws: ws.write_csv(BAD, [*APC_HEADER, "__patient_id"], [[*apc_row("R1", org_code="ZZB"), "x"]])
        ),
        {ACT: "loaded", BAD: "failed"},
        says={BAD: ("'__patient_id'", "two underscores", "Rename or remove")},
        records=GOOD,
        check=_query_equals("SELECT count(*) FROM activity WHERE patient_id = 'x'", [(0,)]),
    ),
    _fails(
        "reserved_header_row",
        "a column named __row",
        lambda ws: ws.write_csv(BAD, ["__row", *APC_HEADER], [[99, *apc_row("R1", org_code="ZZB")]]),
        ("'__row'", "two underscores"),
    ),
    Case(
        "reserved_header_in_parquet",
        "a Parquet column named file_row_number",
        lambda ws: [activity(ws), _parquet_with(ws, {"file_row_number": [7]})],
        {ACT: "loaded", "ZZB_apc_202324_activity.parquet": "failed"},
        says={"ZZB_apc_202324_activity.parquet": ("'file_row_number'",)},
        records=GOOD,
    ),
    Case(
        "canonical_name_beside_its_mapped_header",
        "OrgCode (mapped to org_code) and an org_code column too",
        lambda ws: [
            activity(ws),
            ws.write_csv(
                "seed_ZZB_202324_07.csv",
                ["OrgCode", "org_code", "EpisodeID", "SpellID", "PODMapping", "TFC_Code", "HRGCode"],
                [["ZZB", "ZZA", "E1", "S1", "NEL", "110", "HN12A"]],
            ),
        ],
        {ACT: "loaded", "seed_ZZB_202324_07.csv": "failed"},
        says={"seed_ZZB_202324_07.csv": ("'org_code' as well as 'OrgCode'", "[mappings.seed] reads as org_code")},
        records=GOOD,
    ),
    _fails(
        "nhs_number_and_patient_id",
        "both an nhs_number and a patient_id column",
        lambda ws: ws.write_csv(BAD, [*APC_HEADER, "patient_id"], [[*apc_row("R1", org_code="ZZB"), PSEUDONYM]]),
        ("both an NHS number column", "send only the NHS number"),
    ),
    _fails(
        "required_column_missing",
        "no record_id column",
        lambda ws: ws.write_csv(
            BAD,
            [h for h in APC_HEADER if h != "record_id"],
            [[v for h, v in zip(APC_HEADER, apc_row("R1", org_code="ZZB"), strict=True) if h != "record_id"]],
        ),
        ("missing required column(s): record_id", "[mappings."),
    ),
    Case(
        "unknown_extra_column",
        "an extra column the mapping does not use",
        _good_plus(lambda ws: ws.write_csv(BAD, [*APC_HEADER, "LocalNotes"], [[*apc_row("R1", org_code="ZZB"), "n"]])),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        check=_query_equals(f"SELECT ignored_columns FROM loads WHERE file_name = '{BAD}'", [("LocalNotes",)]),
    ),
    Case(
        "blank_header_over_values",
        "a column with values and no header",
        _good_plus(_blank_header),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        check=_query_equals(f"SELECT ignored_columns FROM loads WHERE file_name = '{BAD}'", [("(column 16)",)]),
    ),
    Case(
        "headers_with_spaces",
        "headers padded with spaces",
        _good_plus(lambda ws: ws.write_csv(BAD, [f" {h} " for h in APC_HEADER], [apc_row("R1", org_code="ZZB")])),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
    ),
    # --------------------------------------------------------------------------------------------------- rows
    Case(
        "truncated_last_line",
        "the last line cut short",
        _good_plus(
            lambda ws: raw_lines(
                ws, BAD, [",".join(APC_HEADER), apc_line("R1", org_code="ZZB"), "ZZB,2023/24,1,R3,SR3,NEL"]
            )
        ),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD | _ids("ZZB/R1"),
        issues=frozenset({(BAD, 3, None, "malformed_line")}),
    ),
    Case(
        "line_with_extra_fields",
        "a line with a stray delimiter",
        _good_plus(
            lambda ws: raw_lines(
                ws,
                BAD,
                [",".join(APC_HEADER), apc_line("R1", org_code="ZZB") + ",extra", apc_line("R2", org_code="ZZB")],
            )
        ),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD | _ids("ZZB/R2"),
        issues=frozenset({(BAD, 2, None, "malformed_line")}),
    ),
    Case(
        "unmatched_quote",
        "a double quote that never closes (it used to swallow every line after it)",
        _good_plus(
            lambda ws: raw_lines(
                ws,
                BAD,
                [
                    ",".join(APC_HEADER),
                    apc_line("R1", org_code="ZZB", lsoa='"E01012681'),
                    apc_line("R2", org_code="ZZB"),
                    apc_line("R3", org_code="ZZB"),
                ],
            )
        ),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        says={BAD: ("2 rows loaded", "1 rejected")},
        records=GOOD | _ids("ZZB/R2", "ZZB/R3"),
        issues=frozenset({(BAD, 2, None, "malformed_line")}),
    ),
    Case(
        "line_break_inside_a_value",
        "a quoted value holding a line break",
        _good_plus(
            lambda ws: ws.write_bytes(
                BAD,
                (
                    ",".join(APC_HEADER)
                    + "\n"
                    + apc_line("R1", org_code="ZZB", lsoa='"E01\n012681"')
                    + "\n"
                    + apc_line("R2", org_code="ZZB")
                    + "\n"
                ).encode(),
            )
        ),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD | _ids("ZZB/R2"),
        issues=frozenset({(BAD, 2, None, "malformed_line"), (BAD, 3, None, "malformed_line")}),
    ),
    Case(
        "stray_nul_byte",
        "a NUL byte inside one value of a text file",
        _good_plus(
            lambda ws: raw_lines(
                ws,
                BAD,
                [
                    ",".join(APC_HEADER),
                    apc_line("R1", org_code="ZZB", lsoa="E010\x0012681"),
                    apc_line("R2", org_code="ZZB"),
                ],
            )
        ),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        issues=frozenset({(BAD, 2, "lsoa", "invalid_value")}),
    ),
    # ------------------------------------------------------------------------------------------ money and numbers
    Case(
        "decimal_commas_undeclared",
        "money written 1.234,50 (it used to load as £1.2345)",
        lambda ws: [three_records(ws), costs(ws, ["1.234,50", "12,50", "7"])],
        {ACT: "loaded", COST: "failed"},
        says={COST: ("decimal comma", "row 2", "'cost'", "1.234,50", 'number_format = "1.234,56"')},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={},
    ),
    Case(
        "decimal_comma_cents_undeclared",
        "money written 1,23 (it used to load as £123)",
        lambda ws: [three_records(ws), costs(ws, ["1,23", "4,50"])],
        {ACT: "loaded", COST: "failed"},
        says={COST: ("decimal comma", "'1,23'")},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={},
    ),
    Case(
        "decimal_commas_declared",
        "decimal commas, declared with number_format",
        lambda ws: [
            three_records(ws),
            costs(ws, ["1.234,50", "12,5", "1 000,25"], name="ZZA_eu_202324_cost_lines.csv"),
        ],
        {ACT: "loaded", "ZZA_eu_202324_cost_lines.csv": "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("1234.50"), "ZZA/R2": Decimal("12.50"), "ZZA/R3": Decimal("1000.25")},
        config=EU_EXTRACT,
    ),
    Case(
        "point_value_in_declared_comma_file",
        "a decimal point in a file declared to use decimal commas",
        lambda ws: [three_records(ws), costs(ws, ["1.234,50", "12.5", "3"], name="ZZA_eu_202324_cost_lines.csv")],
        {ACT: "loaded", "ZZA_eu_202324_cost_lines.csv": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("1234.50"), "ZZA/R3": Decimal("3")},
        issues=frozenset({("ZZA_eu_202324_cost_lines.csv", 3, "cost", "invalid_value")}),
        config=EU_EXTRACT,
    ),
    Case(
        "one_comma_value_in_a_point_file",
        "one 12,5 among decimal-point amounts",
        lambda ws: [three_records(ws), costs(ws, ["785.33", "12,5", "10.00"])],
        {ACT: "loaded", COST: "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("785.33"), "ZZA/R3": Decimal("10.00")},
        issues=frozenset({(COST, 3, "cost", "invalid_value")}),
    ),
    Case(
        "accounting_formats",
        "£1,234.50, (123.00) and -£5",
        lambda ws: [three_records(ws), costs(ws, ["£1,234.50", "(123.00)", "-£5"])],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("1234.50"), "ZZA/R2": Decimal("-123.00"), "ZZA/R3": Decimal("-5")},
        issues=frozenset({(COST, 3, "cost", "negative_cost"), (COST, 4, "cost", "negative_cost")}),
    ),
    _one_bad_cost("money_with_letters", "a cost of 12abc", "12abc"),
    _one_bad_cost("money_nan_as_text", "a cost of NaN", "NaN"),
    _one_bad_cost("money_infinity_as_text", "a cost of inf", "inf"),
    _one_bad_cost("money_1e308_as_text", "a cost of 1e308", "1e308"),
    _one_bad_cost("money_is_an_nhs_number", "an NHS number in the cost column", STRAY_NHS[0]),
    Case(
        "money_a_billion_or_more",
        "one line of £999,999,999.99 and one of £1,000,000,000",
        lambda ws: [three_records(ws), costs(ws, ["999999999.99", "1000000000"])],
        {ACT: "loaded", COST: "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("999999999.99")},
        issues=frozenset({(COST, 3, "cost", "invalid_value")}),
    ),
    Case(
        "parquet_cost_nan",
        "a Parquet cost of NaN (it used to lose the file's other lines)",
        lambda ws: [three_records(ws), parquet_costs(ws, [float("nan"), 5.0, 7.25], pa.float64())],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R2": Decimal("5"), "ZZA/R3": Decimal("7.25")},
        issues=frozenset({("ZZA_apc_202324_cost_lines.parquet", 1, "cost", "invalid_value")}),
    ),
    Case(
        "parquet_cost_infinity",
        "a Parquet cost of infinity",
        lambda ws: [three_records(ws), parquet_costs(ws, [5.0, float("inf"), -float("inf")], pa.float64())],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("5")},
        issues=frozenset({("ZZA_apc_202324_cost_lines.parquet", 2, "cost", "invalid_value")}),
    ),
    Case(
        "parquet_cost_1e308",
        "a Parquet cost of 1e308 (it used to lose the file's other lines)",
        lambda ws: [three_records(ws), parquet_costs(ws, [1e308, 5.0, 6.5], pa.float64())],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R2": Decimal("5"), "ZZA/R3": Decimal("6.5")},
        issues=frozenset({("ZZA_apc_202324_cost_lines.parquet", 1, "cost", "invalid_value")}),
    ),
    Case(
        "parquet_decimal_too_wide",
        "a Parquet decimal cost of 10^30",
        lambda ws: [three_records(ws), parquet_costs(ws, [Decimal("1e30"), Decimal("5.00")], pa.decimal128(38, 2))],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R2": Decimal("5.00")},
        issues=frozenset({("ZZA_apc_202324_cost_lines.parquet", 1, "cost", "invalid_value")}),
    ),
    Case(
        "parquet_activity_count_nan",
        "a Parquet activity count of NaN",
        lambda ws: [three_records(ws), parquet_costs(ws, [5.0, 6.0], pa.float64(), counts=[float("nan"), 2.0])],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("5"), "ZZA/R2": Decimal("6")},
        issues=frozenset({("ZZA_apc_202324_cost_lines.parquet", 1, "activity_count", "invalid_value")}),
        check=_query_equals("SELECT activity_count FROM cost_lines ORDER BY record_id", [(None,), (2.0,)]),
    ),
    Case(
        "parquet_activity_count_infinity",
        "a Parquet activity count of infinity",
        lambda ws: [three_records(ws), parquet_costs(ws, [5.0, 6.0], pa.float64(), counts=[float("inf"), 2.0])],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.parquet": "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("5"), "ZZA/R2": Decimal("6")},
        check=_query_equals("SELECT activity_count FROM cost_lines ORDER BY record_id", [(None,), (2.0,)]),
    ),
    Case(
        "comma_in_an_activity_count",
        "an activity count of 1,5 in a decimal-point file",
        lambda ws: [
            three_records(ws),
            ws.write_csv(
                COST,
                COST_HEADER,
                [cost_row("R1", "5.25", activity_count="1,5"), cost_row("R2", "6.50", activity_count="2.5")],
            ),
        ],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("5.25"), "ZZA/R2": Decimal("6.50")},
        issues=frozenset({(COST, 2, "activity_count", "invalid_value")}),
        check=_query_equals("SELECT activity_count FROM cost_lines ORDER BY record_id", [(None,), (2.5,)]),
    ),
    Case(
        "negative_cost",
        "a negative cost (a credit)",
        lambda ws: [three_records(ws), costs(ws, ["-50.00", "10.00"])],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("-50.00"), "ZZA/R2": Decimal("10.00")},
        issues=frozenset({(COST, 2, "cost", "negative_cost")}),
    ),
    Case(
        "thousands_without_decimals",
        "£1,234 with a thousands comma and no pence",
        lambda ws: [three_records(ws), costs(ws, ["1,234", "12.00"])],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("1234"), "ZZA/R2": Decimal("12.00")},
    ),
    # ------------------------------------------------------------------------------------------- years, periods
    Case(
        "year_2099",
        "a financial year of 2099/00 (it used to become 'the latest year')",
        _good_plus(lambda ws: activity(ws, BAD, ("R1", "R2"), org_code="ZZB", fin_year="2099/00")),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        says={BAD: ("outside the config's range", "quarantined")},
        records=GOOD,
        issues=frozenset({(BAD, 2, "fin_year", "year_out_of_range"), (BAD, 3, "fin_year", "year_out_of_range")}),
    ),
    Case(
        "year_before_earliest",
        "2022/23 when the config starts at 2023/24",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", fin_year="2022/23")),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD,
        issues=frozenset({(BAD, 2, "fin_year", "year_out_of_range")}),
        config=ics_option('earliest_year = "2023/24"'),
    ),
    Case(
        "year_after_configured_latest",
        "2024/25 when the config ends at 2023/24",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", fin_year="2024/25")),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD,
        issues=frozenset({(BAD, 2, "fin_year", "year_out_of_range")}),
        config=ics_option('latest_year = "2023/24"'),
    ),
    _quarantined_row(
        "year_not_consecutive", "a financial year of 2023/25", "fin_year", "invalid_value", fin_year="2023/25"
    ),
    _quarantined_row("period_13", "period 13", "period", "invalid_value", period=13),
    _quarantined_row("period_0", "period 0", "period", "invalid_value", period=0),
    Case(
        "year_in_file_name_out_of_range",
        "a file named for 2099/00, with no year column",
        lambda ws: [
            activity(ws),
            ws.write_csv(
                "seed_ZZB_209900_07.csv",
                ["OrgCode", "EpisodeID", "SpellID", "PODMapping", "TFC_Code", "HRGCode"],
                [["ZZB", "E1", "S1", "NEL", "110", "HN12A"]],
            ),
        ],
        {ACT: "loaded", "seed_ZZB_209900_07.csv": "loaded_with_rejections"},
        says={"seed_ZZB_209900_07.csv": ("0 rows loaded", "outside the config's range")},
        records=GOOD,
        issues=frozenset({("seed_ZZB_209900_07.csv", 2, "fin_year", "year_out_of_range")}),
    ),
    # ------------------------------------------------------------------------------------------ dates and codes
    _blanked("impossible_date", "31/02/2023", "admission_date", admission_date="31/02/2023"),
    _blanked("date_is_an_nhs_number", "an NHS number in a date column", "discharge_date", discharge_date=STRAY_NHS[1]),
    _quarantined_row(
        "unknown_provider", "a provider not in the config", "org_code", "unknown_provider", org_code="RXL"
    ),
    Case(
        "unknown_pod",
        "a point of delivery that is not one",
        _good_plus(lambda ws: activity(ws, BAD, ("R1", "R2"), org_code="ZZB", pod="XYZ")),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD,
        issues=frozenset({(BAD, 2, "pod", "unknown_code")}),
    ),
    Case(
        "invalid_hrg",
        "an HRG that is not one",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", hrg="NOTANHRG")),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        issues=frozenset({(BAD, 2, "hrg", "invalid_value")}),
        check=_query_equals("SELECT hrg FROM activity WHERE org_code = 'ZZB'", [(None,)]),
    ),
    Case(
        "unknown_cost_driver",
        "a cost driver not in the list",
        lambda ws: [three_records(ws), costs(ws, ["10.00"], cost_driver="catering")],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("10.00")},
        issues=frozenset({(COST, 2, "cost_driver", "unknown_code")}),
        check=_query_equals("SELECT cost_driver FROM cost_lines", [("other",)]),
    ),
    Case(
        "age_out_of_range",
        "an age of 150",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", age=150)),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        issues=frozenset({(BAD, 2, "age", "invalid_value")}),
        check=_query_equals("SELECT age FROM activity WHERE org_code = 'ZZB'", [(None,)]),
    ),
    # ------------------------------------------------------------------------------------------------ records
    Case(
        "record_id_repeated",
        "the same record id twice in a file",
        _good_plus(lambda ws: activity(ws, BAD, ("R1", "R1", "R2"), org_code="ZZB")),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        issues=frozenset({(BAD, 3, "record_id", "duplicate_record_id")}),
    ),
    Case(
        "cost_line_without_its_record",
        "a cost line whose record is not loaded",
        lambda ws: [activity(ws), costs(ws, ["10.00", "20.00", "30.00"])],
        {ACT: "loaded", COST: "loaded_with_rejections"},
        records=GOOD,
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
        issues=frozenset({(COST, 4, "record_id", "no_activity_record")}),
    ),
    Case(
        "record_id_held_for_another_period",
        "a record id already loaded for another period",
        lambda ws: [
            activity(
                ws,
                "ZZA_apc_202324_P2_activity.csv",
                ("R1", "R9"),
                period=2,
                admission_date="2023-05-01",
                discharge_date="2023-05-02",
                los=1,
            )
        ],
        {"ZZA_apc_202324_P2_activity.csv": "loaded_with_rejections"},
        records=GOOD | _ids("ZZA/R9"),
        issues=frozenset({("ZZA_apc_202324_P2_activity.csv", 2, "record_id", "record_id_in_other_period")}),
        before=lambda ws: [activity(ws)],
    ),
    Case(
        "critical_care_without_its_admission",
        "a critical care period whose admission is not loaded",
        lambda ws: [
            activity(ws),
            with_rows(
                ws,
                "ZZA_cc_202324_activity.csv",
                ["org_code", "fin_year", "period", "record_id", "apc_record_id", "unit_type", "hrg", "bed_days"],
                [["ZZA", "2023/24", 1, "C1", "R404", "adult", "XC05Z", 2]],
            ),
        ],
        {ACT: "loaded", "ZZA_cc_202324_activity.csv": "loaded"},
        records=GOOD | _ids("ZZA/C1"),
        issues=frozenset({("ZZA_cc_202324_activity.csv", 2, "apc_record_id", "cc_admission_not_loaded")}),
    ),
    # -------------------------------------------------------------------------------- split periods, repeats
    Case(
        "quarter_in_two_files",
        "a quarter sent as two files, P3 in both (the second used to replace the first's P3)",
        _quarter_in_two_files,
        {
            "ZZA_apc_202324_Q1a_activity.csv": "loaded",
            "ZZA_apc_202324_Q1b_activity.csv": "loaded",
            "ZZA_apc_202324_Q1a_cost_lines.csv": "loaded",
            "ZZA_apc_202324_Q1b_cost_lines.csv": "loaded",
        },
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3", "ZZA/R4", "ZZA/R5"),
        costs={f"ZZA/R{i}": Decimal("10.00") if i <= 3 else Decimal("5.00") for i in range(1, 6)},
    ),
    Case(
        "same_record_in_both_halves",
        "a period in two files that both hold record R2",
        lambda ws: [
            activity(ws, "ZZA_apc_202324_a_activity.csv", ("R1", "R2")),
            activity(ws, "ZZA_apc_202324_b_activity.csv", ("R2", "R3")),
        ],
        {"ZZA_apc_202324_a_activity.csv": "loaded", "ZZA_apc_202324_b_activity.csv": "loaded_with_rejections"},
        says={"ZZA_apc_202324_b_activity.csv": ("1 rejected",)},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        issues=frozenset({("ZZA_apc_202324_b_activity.csv", 2, "record_id", "duplicate_record_id")}),
    ),
    Case(
        "cost_lines_split_across_files",
        "one period's cost lines in two files",
        lambda ws: [
            activity(ws),
            costs(ws, ["10.00"], name="ZZA_apc_202324_a_cost_lines.csv"),
            ws.write_csv(
                "ZZA_apc_202324_b_cost_lines.csv", COST_HEADER, [cost_row("R1", "5.00"), cost_row("R2", "7.00")]
            ),
        ],
        {ACT: "loaded", "ZZA_apc_202324_a_cost_lines.csv": "loaded", "ZZA_apc_202324_b_cost_lines.csv": "loaded"},
        records=GOOD,
        costs={"ZZA/R1": Decimal("15.00"), "ZZA/R2": Decimal("7.00")},
    ),
    Case(
        "same_file_twice_in_one_load",
        "the same file named twice (it used to report double the cost)",
        _same_file_twice,
        {ACT: "loaded", COST: "loaded, skipped"},
        says={COST: ("same file as", "count once")},
        records=GOOD,
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
        cli_says=("£30.00 loaded",),
    ),
    Case(
        "same_contents_under_two_names",
        "a copy of a file under another name",
        _same_contents,
        {ACT: "loaded", COST: "loaded", "ZZA_apc_202324_zcopy_cost_lines.csv": "skipped"},
        says={"ZZA_apc_202324_zcopy_cost_lines.csv": ("same contents as", COST)},
        records=GOOD,
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
        cli_says=("£30.00 loaded",),
    ),
    Case(
        "same_file_loaded_again_later",
        "a file loaded again in a later load",
        lambda ws: [costs(ws, ["10.00", "20.00"])],
        {COST: "loaded"},
        says={COST: ("replaced 2 rows", COST)},
        records=GOOD,
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
        before=lambda ws: [activity(ws), costs(ws, ["10.00", "20.00"])],
    ),
    Case(
        "resubmitted_period_from_another_file",
        "a corrected P2 after a file that held P1 and P2",
        lambda ws: [
            activity(
                ws,
                "ZZA_apc_202324_P2_activity.csv",
                ("R9",),
                period=2,
                admission_date="2023-05-03",
                discharge_date="2023-05-04",
                los=1,
            )
        ],
        {"ZZA_apc_202324_P2_activity.csv": "loaded"},
        says={"ZZA_apc_202324_P2_activity.csv": ("replaced 1 rows", "ZZA_apc_202324_activity.csv", "loaded together")},
        records=_ids("ZZA/R1", "ZZA/R9"),
        before=lambda ws: [
            ws.write_csv(
                ACT,
                APC_HEADER,
                [
                    apc_row("R1"),
                    apc_row("R2", period=2, admission_date="2023-05-01", discharge_date="2023-05-02", los=1),
                ],
            )
        ],
    ),
    # -------------------------------------------------------------------------------------------------- XLSX
    Case(
        "xlsx_formulas_never_calculated",
        "an XLSX whose ages are formulas with no values (openpyxl); they used to read as 0",
        _good_plus(
            lambda ws: xlsx_openpyxl(
                ws,
                "ZZB_apc_202324_activity.xlsx",
                APC_HEADER,
                [apc_row(f"R{i}", org_code="ZZB", age=f"={60 + i}+1") for i in (1, 2, 3)],
            )
        ),
        {ACT: "loaded", "ZZB_apc_202324_activity.xlsx": "loaded"},
        says={"ZZB_apc_202324_activity.xlsx": ("3 cell(s) held formulas",)},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2", "ZZB/R3"),
        issues=frozenset({("ZZB_apc_202324_activity.xlsx", r, "age", "formula_not_calculated") for r in (2, 3, 4)}),
        check=_query_equals("SELECT count(*) FROM activity WHERE org_code = 'ZZB' AND age IS NULL", [(3,)]),
    ),
    Case(
        "xlsx_formulas_stored_as_zero",
        "an XLSX written by a program that stores 0 for every formula",
        _good_plus(
            lambda ws: xlsx_xlsxwriter(
                ws,
                "ZZB_apc_202324_activity.xlsx",
                APC_HEADER,
                [apc_row(f"R{i}", org_code="ZZB", age="=40+1") for i in (1, 2)],
            )
        ),
        {ACT: "loaded", "ZZB_apc_202324_activity.xlsx": "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        issues=frozenset({("ZZB_apc_202324_activity.xlsx", r, "age", "formula_not_calculated") for r in (2, 3)}),
        check=_query_equals("SELECT count(*) FROM activity WHERE org_code = 'ZZB' AND age = 0", [(0,)]),
    ),
    Case(
        "xlsx_cost_formula_stored_as_zero",
        "an XLSX cost that is a formula with 0 stored",
        lambda ws: [
            three_records(ws),
            xlsx_xlsxwriter(
                ws, "ZZA_apc_202324_cost_lines.xlsx", COST_HEADER, [cost_row("R1", "=2*5"), cost_row("R2", 7.5)]
            ),
        ],
        {ACT: "loaded", "ZZA_apc_202324_cost_lines.xlsx": "loaded_with_rejections"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R2": Decimal("7.5")},
        issues=frozenset(
            {
                ("ZZA_apc_202324_cost_lines.xlsx", 2, "cost", "formula_not_calculated"),
                ("ZZA_apc_202324_cost_lines.xlsx", 2, "cost", "missing_value"),
            }
        ),
    ),
    Case(
        "xlsx_formulas_with_calculated_values",
        "an XLSX whose formulas were calculated when it was saved",
        _good_plus(
            lambda ws: xlsx_xlsxwriter(
                ws,
                "ZZB_apc_202324_activity.xlsx",
                APC_HEADER,
                [apc_row("R1", org_code="ZZB", age="=6+6")],
                trusted=True,
            )
        ),
        {ACT: "loaded", "ZZB_apc_202324_activity.xlsx": "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        check=_query_equals("SELECT age FROM activity WHERE org_code = 'ZZB'", [(12,)]),
    ),
    Case(
        "xlsx_title_rows",
        "an XLSX with title rows above the header",
        _good_plus(
            lambda ws: xlsx_openpyxl(
                ws,
                "ZZB_apc_202324_activity.xlsx",
                APC_HEADER,
                [apc_row("R1", org_code="ZZB"), apc_row("R2", org_code="ZZB", hrg="bad")],
                titles=2,
            )
        ),
        {ACT: "loaded", "ZZB_apc_202324_activity.xlsx": "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        issues=frozenset({("ZZB_apc_202324_activity.xlsx", 5, "hrg", "invalid_value")}),
    ),
    Case(
        "xlsx_sheet_missing",
        "an XLSX without the sheet the config names",
        _good_plus(
            lambda ws: xlsx_openpyxl(ws, "ZZB_sheet_202324_activity.xlsx", APC_HEADER, [apc_row("R1", org_code="ZZB")])
        ),
        {ACT: "loaded", "ZZB_sheet_202324_activity.xlsx": "failed"},
        says={"ZZB_sheet_202324_activity.xlsx": ("has no sheet 'Data'", "Sheet")},
        records=GOOD,
        config=SHEET_EXTRACT,
    ),
    # ------------------------------------------------------------------------------------ NHS numbers astray
    Case(
        "patient_id_holds_nhs_numbers",
        "a patient_id column of raw NHS numbers (it used to be stored as if a pseudonym, counted as linked)",
        _good_plus(
            lambda ws: ws.write_csv(
                BAD,
                PATIENT_ID_HEADER,
                [[*apc_row(f"R{i}", org_code="ZZB", nhs_number=n)] for i, n in enumerate(STRAY_NHS, start=1)],
            )
        ),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2", "ZZB/R3"),
        issues=frozenset({(BAD, r, "patient_id", "invalid_value") for r in (2, 3, 4)}),
        check=_all(
            _query_equals("SELECT count(patient_id) FROM activity WHERE org_code = 'ZZB'", [(0,)]),
            _query_equals("SELECT DISTINCT value FROM load_issues WHERE \"column\" = 'patient_id'", [("<withheld>",)]),
        ),
    ),
    Case(
        "patient_id_a_pseudonym",
        "a patient_id column holding pseudonyms",
        _good_plus(
            lambda ws: ws.write_csv(BAD, PATIENT_ID_HEADER, [apc_row("R1", org_code="ZZB", nhs_number=PSEUDONYM)])
        ),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        check=_query_equals("SELECT patient_id FROM activity WHERE org_code = 'ZZB'", [(PSEUDONYM,)]),
    ),
    Case(
        "patient_id_in_capitals",
        "pseudonyms written in capitals",
        _good_plus(
            lambda ws: ws.write_csv(
                BAD, PATIENT_ID_HEADER, [apc_row("R1", org_code="ZZB", nhs_number=PSEUDONYM.upper())]
            )
        ),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
        check=_query_equals("SELECT patient_id FROM activity WHERE org_code = 'ZZB'", [(PSEUDONYM,)]),
    ),
    Case(
        "spell_id_is_an_nhs_number",
        "an NHS number as the spell id (it used to be stored raw)",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code="ZZB", spell_id=STRAY_NHS[0])),
        {ACT: "loaded", BAD: "loaded"},
        says={BAD: ("masked before loading",)},
        records=GOOD | _ids("ZZB/R1"),
        issues=frozenset({(BAD, 2, "spell_id", "nhs_number_masked")}),
        check=_query_equals("SELECT left(spell_id, 5) FROM activity WHERE org_code = 'ZZB'", [("[NHS#",)]),
    ),
    Case(
        "record_ids_are_nhs_numbers",
        "NHS numbers as record ids, in activity and its cost lines",
        lambda ws: [
            activity(ws, ids=tuple(STRAY_NHS[:2])),
            ws.write_csv(COST, COST_HEADER, [cost_row(STRAY_NHS[0], "10.00"), cost_row(STRAY_NHS[1], "2.50")]),
        ],
        {ACT: "loaded", COST: "loaded"},
        check=_all(
            _query_equals(
                "SELECT count(*), count(DISTINCT record_id) FROM activity WHERE record_id LIKE '[NHS#%'", [(2, 2)]
            ),
            _query_equals(
                "SELECT sum(c.cost) FROM cost_lines AS c JOIN activity AS a USING (org_code, record_id)",
                [(Decimal("12.50"),)],
            ),
        ),
    ),
    Case(
        "location_with_a_spaced_nhs_number",
        "free text holding an NHS number written 999 000 0000",
        lambda ws: [
            three_records(ws),
            costs(ws, ["10.00"], location=f"Bay {STRAY_NHS[2][:3]} {STRAY_NHS[2][3:6]} {STRAY_NHS[2][6:]}"),
        ],
        {ACT: "loaded", COST: "loaded"},
        records=_ids("ZZA/R1", "ZZA/R2", "ZZA/R3"),
        costs={"ZZA/R1": Decimal("10.00")},
        issues=frozenset({(COST, 2, "location", "nhs_number_masked")}),
        check=_query_equals("SELECT left(location, 9) FROM cost_lines", [("Bay [NHS#",)]),
    ),
    Case(
        "nhs_number_in_the_file_name",
        "a file named with an NHS number",
        lambda ws: [activity(ws, f"ZZA_apc_{STRAY_NHS[0]}_activity.csv")],
        {"ZZA_apc_[NHS#": "loaded"},
        records=GOOD,
    ),
    Case(
        "nhs_number_as_a_header",
        "a column headed with an NHS number",
        _good_plus(lambda ws: ws.write_csv(BAD, [*APC_HEADER, STRAY_NHS[1]], [[*apc_row("R1", org_code="ZZB"), "x"]])),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1"),
    ),
    Case(
        "nhs_number_as_provider",
        "an NHS number in the provider column",
        _good_plus(lambda ws: activity(ws, BAD, ("R1",), org_code=STRAY_NHS[2])),
        {ACT: "loaded", BAD: "loaded_with_rejections"},
        records=GOOD,
        issues=frozenset({(BAD, 2, "org_code", "unknown_provider")}),
    ),
    # ------------------------------------------------------------------------------------------ store, config
    Case(
        "store_path_is_a_csv",
        "[store] path pointing at a CSV (it used to open an in-memory store, say 'loaded' and save nothing)",
        lambda ws: [activity(ws), ws.write_bytes("results.csv", b"a,b\n1,2\n")][:1],
        {},
        config=store_path("results.csv"),
        exit_code=2,
        cli_says=("names a .csv file", "ending in .duckdb"),
    ),
    Case(
        "store_path_is_not_a_store",
        "[store] path naming a file that is not a DuckDB store",
        lambda ws: [activity(ws), ws.write_bytes("other.duckdb", b"this is not a database at all\n" * 10)][:1],
        {},
        config=store_path("other.duckdb"),
        exit_code=2,
        cli_says=("not an icsbench store",),
    ),
    Case(
        "store_path_is_a_folder",
        "[store] path naming a folder",
        lambda ws: [activity(ws), (ws.root / "storefolder").mkdir()][:1],  # type: ignore[list-item]
        {},
        config=store_path("storefolder"),
        exit_code=2,
        cli_says=("is a folder",),
    ),
    Case(
        "config_saved_as_utf16",
        "the config saved as UTF-16 by Notepad (it used to stop with UnicodeDecodeError)",
        _good_plus(lambda ws: zzb(ws)),
        {ACT: "loaded", BAD: "loaded"},
        records=GOOD | _ids("ZZB/R1", "ZZB/R2"),
        config_bytes=lambda text: text.encode("utf-16"),
    ),
    Case(
        "config_not_text",
        "the config file is not text",
        lambda ws: [activity(ws)],
        {},
        config_bytes=lambda text: bytes(range(256)) * 4,
        exit_code=2,
        cli_says=("cannot be read as text", "save it as UTF-8"),
    ),
    Case(
        "control_total_not_a_number",
        "control_totals.csv giving 'abc' as a total",
        lambda ws: [
            activity(ws),
            costs(ws, ["10.00", "20.00"]),
            ws.write_bytes("control_totals.csv", f"file,total_cost\n{COST},abc\n{ACT},\n".encode()),
        ][:2],
        {ACT: "loaded", COST: "loaded"},
        records=GOOD,
        costs={"ZZA/R1": Decimal("10.00"), "ZZA/R2": Decimal("20.00")},
        check=_query_equals(
            f"SELECT control_status FROM loads WHERE file_name = '{COST}'",
            [
                (
                    "not checked: control_totals.csv row 2 gives total_cost 'abc', which is not an amount in pounds; "
                    "correct it and load the file again to check it",
                )
            ],
        ),
    ),
)


def _parquet_with(ws: Workspace, extra: dict[str, list[Any]]) -> Path:
    row = dict(zip(APC_HEADER, apc_row("R1", org_code="ZZB"), strict=True))
    columns = {name: [str(value)] for name, value in row.items()} | extra
    path = ws.root / "ZZB_apc_202324_activity.parquet"
    pq.write_table(pa.table(columns), path)
    return path


def table_markdown() -> str:
    """The table of cases and outcomes, for the closing note of the issue."""
    lines = ["| case | what the source got wrong | outcome |", "|---|---|---|"]
    lines += [f"| `{c.name}` | {c.problem} | {c.result} |" for c in CASES]
    return "\n".join(lines)


if __name__ == "__main__":
    print(table_markdown())
    print(f"\n{len(CASES)} cases")
