"""ICS Benchmarking.xlsx: written on refresh from the published figures, computes in `formulas` and LibreOffice."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import openpyxl
import pytest

from addin import functions
from addin.formulas_adapter import compute
from addin.results import ResultsCache
from engine.publish.files import write_published_files
from engine.publish.workbook import STATIC_WORKBOOK_NAME, WORKBOOK_NAME
from engine.store import open_store
from tests.addin.conftest import FixedConfig
from tests.conftest import query_store

# openpyxl (our reader here) does not know Excel's data-bar extension and says it drops it on reading.
pytestmark = pytest.mark.filterwarnings("ignore:.*extension is not supported:UserWarning")

RECALCULATE_ON_LOAD = """<?xml version="1.0" encoding="UTF-8"?>
<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema"
 xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">
<item oor:path="/org.openoffice.Office.Calc/Formula/Load"><prop oor:name="OOXMLRecalcMode" oor:op="fuse">
<value>0</value></prop></item>
</oor:items>
"""


@pytest.fixture(scope="module")
def published(refreshed_ics: Any, tmp_path_factory: pytest.TempPathFactory) -> tuple[Any, Path]:
    _, config = refreshed_ics
    folder = tmp_path_factory.mktemp("published")
    config = config.model_copy(update={"folders": config.folders.model_copy(update={"published": str(folder)})})
    store = open_store(config, read_only=True)
    try:
        written = write_published_files(store)
    finally:
        store.close()
    assert {p.name for p in written.files} >= {WORKBOOK_NAME, STATIC_WORKBOOK_NAME, "unit_cost_benchmark.parquet"}
    assert written.root == folder and written.folder.parent == folder
    return config, folder


def _figures(path: Path) -> dict[str, float]:
    """Every number in the Overview and Provider opportunities sheets, by sheet and cell."""
    book = openpyxl.load_workbook(path, data_only=True)
    try:
        return {
            f"{sheet}!{cell.coordinate}": float(cell.value)
            for sheet in ("Overview", "Provider opportunities")
            for row in book[sheet].iter_rows()
            for cell in row
            if isinstance(cell.value, int | float)
        }
    finally:
        book.close()


def _column_headed(path: Path, sheet: str, heading: str) -> str:
    """The letter of the column whose heading cell says `heading`."""
    book = openpyxl.load_workbook(path)
    try:
        for row in book[sheet].iter_rows():
            for cell in row:
                if cell.value == heading:
                    return str(cell.column_letter)
    finally:
        book.close()
    raise AssertionError(f"no column headed {heading!r} in {sheet}")


def test_the_workbook_holds_the_published_figures(published: Any) -> None:
    config, folder = published
    figures = _figures(folder / STATIC_WORKBOOK_NAME)
    providers = query_store(
        config,
        "SELECT org_code, opportunity_vs_ics FROM published.opportunity_summary WHERE pod = '(all)' "
        "AND cost_driver = '(all)' ORDER BY org_code",
    )
    column = _column_headed(folder / STATIC_WORKBOOK_NAME, "Overview", "Opportunity vs ICS mean")
    by_provider = [figures[f"Overview!{column}{row}"] for row in range(7, 7 + len(providers))]
    assert by_provider == pytest.approx([v for _, v in providers])
    assert figures[f"Overview!{column}{7 + len(providers)}"] == pytest.approx(sum(v for _, v in providers))


def test_formulas_computes_our_worksheet_functions_to_the_engines_numbers(published: Any) -> None:
    config, folder = published
    previous = functions.use_cache(ResultsCache(FixedConfig(config)))
    try:
        computed = compute(folder / WORKBOOK_NAME)
    finally:
        functions.use_cache(previous)
    expected = _figures(folder / STATIC_WORKBOOK_NAME)
    checked = 0
    for key, value in expected.items():
        sheet, cell = key.split("!")
        got = computed.get(f"'[{WORKBOOK_NAME}]{sheet.upper()}'!{cell}")
        if got is None:
            continue  # a typed-in value, not a formula
        assert got == pytest.approx(value, rel=1e-9), key
        checked += 1
    book = openpyxl.load_workbook(folder / WORKBOOK_NAME)
    try:
        ours = sum(
            1
            for sheet in book.worksheets
            for row in sheet.iter_rows()
            for cell in row
            if isinstance(cell.value, str) and cell.value.startswith("=ICS_")
        )
    finally:
        book.close()
    assert ours > 50
    assert checked >= ours  # every ICS_ formula (and the SUM and INDEX/MATCH ones) matched


@pytest.mark.slow
def test_libreoffice_opens_and_recalculates_the_static_workbook(published: Any, tmp_path: Path) -> None:
    soffice = shutil.which("soffice") or shutil.which("libreoffice")
    assert soffice, "LibreOffice is needed: scripts/install installs libreoffice-calc-nogui"
    _, folder = published
    stripped = tmp_path / "stripped.xlsx"
    book = openpyxl.load_workbook(folder / STATIC_WORKBOOK_NAME)
    book.save(stripped)  # openpyxl keeps the formulas but drops their values: only a recalculation brings them back
    book.close()
    assert "Overview!F12" not in _figures(stripped)
    profile = tmp_path / "profile"
    (profile / "user").mkdir(parents=True)
    (profile / "user" / "registrymodifications.xcu").write_text(RECALCULATE_ON_LOAD)
    out = tmp_path / "out"
    subprocess.run(
        [
            soffice,
            f"-env:UserInstallation={profile.as_uri()}",
            "--headless",
            "--convert-to",
            "xlsx",
            "--outdir",
            str(out),
            str(stripped),
        ],
        check=True,
        capture_output=True,
        timeout=180,
        env={**os.environ, "HOME": str(tmp_path)},
    )
    recalculated = _figures(out / "stripped.xlsx")
    original = _figures(folder / STATIC_WORKBOOK_NAME)
    totals = [key for key in original if key.startswith("Overview!") and key not in _figures(stripped)]
    assert totals
    for key in totals:
        assert recalculated[key] == pytest.approx(original[key], rel=1e-9), key
    largest = openpyxl.load_workbook(out / "stripped.xlsx", data_only=True)
    try:
        sheet = largest["Overview"]
        answers = [
            row[2].value for row in sheet.iter_rows(min_row=1) if row[0].value == "Largest opportunity vs ICS mean:"
        ]
    finally:
        largest.close()
    providers = query_store(
        published[0],
        "SELECT org_code FROM published.opportunity_summary WHERE pod = '(all)' AND cost_driver = '(all)' "
        "ORDER BY opportunity_vs_ics DESC LIMIT 1",
    )
    assert answers == [providers[0][0]]
