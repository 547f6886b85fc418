"""Every ribbon button, driven through a fake workbook: the dispatcher's logic, without Excel."""

from __future__ import annotations

import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pyarrow.parquet as pq
import pytest

from addin import functions, ribbon
from addin.results import ResultsCache
from addin.ribbon import BUTTON_HANDLERS, SheetColumn, on_button
from engine.config import PSEUDONYM_KEY_ENV
from engine.publish import published_results
from engine.publish.powerbi import render
from tests.addin.conftest import FixedConfig
from tests.conftest import copy_of_store, query_store


class FakeWorkbook:
    """Records what a button did to the workbook."""

    def __init__(self, answer: str | None = None) -> None:
        self.answer = answer
        self.statuses: list[str | None] = []
        self.sheets: dict[str, dict[str, Any]] = {}
        self.messages: list[str] = []
        self.recalculated = 0
        self.opened: list[Path] = []

    def status(self, text: str | None) -> None:
        self.statuses.append(text)

    def write_sheet(
        self, name: str, title: str, notes: Sequence[str], columns: Sequence[SheetColumn], rows: Sequence[Sequence[Any]]
    ) -> None:
        self.sheets[name] = {"title": title, "notes": list(notes), "columns": list(columns), "rows": list(rows)}

    def choose(self, prompt: str, choices: Sequence[str], default: str) -> str | None:
        assert self.answer is None or self.answer in choices
        return self.answer

    def message(self, text: str) -> None:
        self.messages.append(text)

    def recalculate(self) -> None:
        self.recalculated += 1

    def open_file(self, path: Path) -> None:
        self.opened.append(path)


@pytest.fixture
def own_ics(refreshed_ics: Any, tmp_path: Path) -> Any:
    """A copy of the refreshed ICS that a button may change, publishing into the test's folder (copy_of_store)."""
    result, original = refreshed_ics
    config = copy_of_store(original, tmp_path)
    source = FixedConfig(config, result.config_path)
    previous = functions.use_cache(ResultsCache(source, recheck_seconds=0))
    yield result, config, source
    functions.use_cache(previous)


def test_every_button_has_a_handler_and_an_unknown_one_says_so() -> None:
    assert set(BUTTON_HANDLERS) == {
        "ics_refresh",
        "ics_data_quality",
        "ics_opportunities",
        "ics_service_pack",
        "ics_open_power_bi",
        "ics_settings",
    }
    book = FakeWorkbook()
    on_button("ics_nonsense", book)
    assert book.messages == ["The ribbon button 'ics_nonsense' has no action in this version of the add-in."]


def test_refresh_loads_new_extracts_recomputes_publishes_and_recalculates(
    own_ics: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    result, config, source = own_ics
    monkeypatch.setenv(PSEUDONYM_KEY_ENV, "synthetic-test-key")
    inbox = tmp_path / "inbox"
    inbox.mkdir()
    loaded = next(f for f in sorted(result.files) if "_op_" in f.name and "activity" in f.name)
    shutil.copy(loaded, inbox / loaded.name)  # already loaded as it is: not new
    resent = next(f for f in sorted(result.files) if "_ec_" in f.name and "activity" in f.name)
    table = pq.read_table(resent)
    pq.write_table(table.slice(0, table.num_rows - 1), inbox / resent.name)  # a corrected extract: new
    (inbox / "notes.txt").write_text("not an extract")
    config = config.model_copy(update={"folders": config.folders.model_copy(update={"extracts": str(inbox)})})
    source.config = config
    before = query_store(config, "SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'")[0][0]
    book = FakeWorkbook()
    on_button("ics_refresh", book, source)
    after = query_store(config, "SELECT max(refresh_id) FROM refresh_log WHERE status = 'succeeded'")[0][0]
    assert after == before + 1, book.messages
    assert book.recalculated == 1
    loading = [s for s in book.statuses if s and s.startswith("ICS refresh: loading ")]
    assert loading == [f"ICS refresh: loading {resent.name} (1 of 1)"]
    assert any(s and "unit_cost_benchmark" in s for s in book.statuses)
    assert book.statuses[-1] is None
    assert book.messages[-1].startswith(f"Refresh {after} done in ") and ": 1 new extract file(s)" in book.messages[-1]
    assert (config.published_folder / "ICS Benchmarking.xlsx").exists()
    assert (published_results.current(config).folder / "unit_cost_benchmark.parquet").exists()
    second = FakeWorkbook()
    on_button("ics_refresh", second, source)
    assert " 0 new extract file(s) loaded" in second.messages[-1]


def test_a_failed_refresh_says_why_and_leaves_the_results(own_ics: Any, tmp_path: Path) -> None:
    _, config, source = own_ics
    config = config.model_copy(
        update={"folders": config.folders.model_copy(update={"extracts": str(tmp_path / "none")})}
    )
    source.config = config
    book = FakeWorkbook()
    on_button("ics_refresh", book, source)
    assert book.messages == [
        f"{tmp_path / 'none'}: the extracts folder in the config ([folders] extracts) does not exist"
    ]
    assert book.statuses[-1] is None and book.recalculated == 0


def test_data_quality_and_opportunities_sheets(own_ics: Any) -> None:
    _, config, source = own_ics
    book = FakeWorkbook(answer="ZZB")
    on_button("ics_data_quality", book, source)
    sheet = book.sheets[ribbon.DATA_QUALITY_SHEET]
    rows = query_store(config, "SELECT count(*) FROM published.data_quality")[0][0]
    assert len(sheet["rows"]) == rows and sheet["notes"][0].startswith("Refresh ")
    on_button("ics_opportunities", book, source)
    sheet = book.sheets[ribbon.OPPORTUNITIES_SHEET]
    assert sheet["title"].endswith("ZZB") and 0 < len(sheet["rows"]) <= ribbon.TOP_OPPORTUNITY_ROWS
    assert sheet["rows"] == functions.ICS_TOP_OPPORTUNITIES("ZZB", ribbon.TOP_OPPORTUNITY_ROWS)[1:]
    assert [c.number_format for c in sheet["columns"]][-1] == "£#,##0"
    cancelled = FakeWorkbook(answer=None)
    on_button("ics_opportunities", cancelled, source)
    assert cancelled.sheets == {} and cancelled.messages == []


def test_open_power_bi_and_settings(own_ics: Any, tmp_path: Path) -> None:
    _, config, source = own_ics
    book = FakeWorkbook()
    on_button("ics_open_power_bi", book, source)
    assert book.opened == [render.rendered_report(config.published_folder)]
    assert book.opened[0].is_relative_to(published_results.current(config).folder), "the current refresh's report"
    source.config = config.model_copy(
        update={"folders": config.folders.model_copy(update={"published": str(tmp_path / "empty")})}
    )
    on_button("ics_open_power_bi", book, source)
    assert book.messages[-1].startswith(f"No Power BI report in {tmp_path / 'empty'} yet")
    source.config = config
    on_button("ics_settings", book, source)
    assert (
        f"Store: {config.store_path}" in book.messages[-1]
        and "Suppression: Counts of 1 to 7 are blank" in book.messages[-1]
    )


def test_service_pack_asks_for_a_service_line_and_opens_its_pack(own_ics: Any) -> None:
    _, config, source = own_ics
    book = FakeWorkbook(answer="NEL hip procedures for trauma")
    on_button("ics_service_pack", book, source)
    assert book.messages == []
    (opened,) = book.opened
    assert opened == config.published_folder / "packs" / "nel_hip_procedures_for_trauma.html"
    assert "NEL hip procedures for trauma" in opened.read_text(encoding="utf-8")
    assert opened.with_suffix(".pdf").read_bytes().startswith(b"%PDF")
    assert any(s and s.startswith("Service pack: ") for s in book.statuses) and book.statuses[-1] is None
    cancelled = FakeWorkbook(answer=None)
    on_button("ics_service_pack", cancelled, source)
    assert cancelled.opened == [] and cancelled.messages == []
