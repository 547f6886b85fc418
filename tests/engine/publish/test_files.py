"""The published folder: a folder per refresh switched in whole, workbooks left alone while open, leftovers removed."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine import jobs
from engine.cli import main
from engine.publish import files, published_results, snapshots
from engine.publish.workbook import STATIC_WORKBOOK_NAME, WORKBOOK_NAME
from tests.conftest import PSEUDONYM_KEY
from tests.engine.jobs.published_state import assert_exactly_one_refresh, leftovers, refresh_in_workbook


def _refresh(root: Path) -> jobs.RefreshOutcome:
    return jobs.refresh(config_module.load(root / "ics.toml"), full=True)  # each a new refresh, nothing loaded between


@pytest.fixture
def ics(tiny_ics: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
    _refresh(tiny_ics)  # a copy: publish once from where it now is
    return tiny_ics


def test_a_refresh_publishes_its_own_folder_and_readers_follow_the_switch(ics: Path) -> None:
    published = ics / "published"
    first = assert_exactly_one_refresh(published)
    config = config_module.load(ics / "ics.toml")
    assert published_results.published_table(config, "system_cost")[0] == first
    outcome = _refresh(ics)
    second = assert_exactly_one_refresh(published)
    assert second == outcome.result.refresh_id > first
    assert outcome.published is not None and outcome.published.folder.name == f"refresh-{second}"
    assert published_results.published_table(config, "system_cost")[0] == second
    assert (published / f"refresh-{first}").is_dir(), "the refresh before stays for readers still using it"
    assert refresh_in_workbook(published / WORKBOOK_NAME) == second


def test_a_workbook_open_in_excel_is_left_as_it_is_and_the_refresh_says_where_the_new_one_is(ics: Path) -> None:
    published = ics / "published"
    before = (published / WORKBOOK_NAME).read_bytes()
    (published / f"~${WORKBOOK_NAME}").write_bytes(b"\x0bsomeone")  # the owner file Excel keeps beside an open book
    result = CliRunner().invoke(main, ["refresh", "--full", "--config", str(ics / "ics.toml")])
    assert result.exit_code == 0, result.output
    refresh_id = assert_exactly_one_refresh(published)
    assert (published / WORKBOOK_NAME).read_bytes() == before, "an open workbook was replaced"
    assert refresh_in_workbook(published / STATIC_WORKBOOK_NAME) == refresh_id, "the closed one was replaced"
    text = " ".join(result.output.split())
    assert f"{WORKBOOK_NAME} in {published} is open" in text
    assert str(published / f"refresh-{refresh_id}" / WORKBOOK_NAME) in text
    (published / f"~${WORKBOOK_NAME}").unlink()
    outcome = _refresh(ics)
    assert outcome.notes == []
    assert refresh_in_workbook(published / WORKBOOK_NAME) == outcome.result.refresh_id


def test_a_workbook_windows_will_not_replace_is_left_and_the_refresh_still_succeeds(
    ics: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    published = ics / "published"
    before = (published / STATIC_WORKBOOK_NAME).read_bytes()
    real_replace = Path.replace

    def replace(self: Path, target: Path | str) -> Path:
        if Path(target).name == STATIC_WORKBOOK_NAME and Path(target).parent == published:
            raise PermissionError(13, "The process cannot access the file because it is being used by another process")
        return real_replace(self, target)

    monkeypatch.setattr(Path, "replace", replace)  # what Windows does while another program has the file open
    outcome = _refresh(ics)
    assert (published / STATIC_WORKBOOK_NAME).read_bytes() == before
    [note] = outcome.notes
    assert STATIC_WORKBOOK_NAME in note and str(outcome.published.folder / STATIC_WORKBOOK_NAME) in note  # type: ignore[union-attr]
    assert not [p for p in published.iterdir() if p.name.endswith(".tmp")], "no temporary copy is left behind"
    assert assert_exactly_one_refresh(published) == outcome.result.refresh_id


def test_what_a_stopped_refresh_left_and_old_refresh_folders_are_removed_by_the_next(ics: Path) -> None:
    published = ics / "published"
    current = snapshots.read_pointer(published)
    assert current is not None
    (published / f".refresh-99{snapshots.PARTIAL}abc").mkdir()
    (published / f".{snapshots.POINTER}.tmp123").write_text("{")
    (published / f".{WORKBOOK_NAME}.x1.tmp").write_bytes(b"half")
    (published / "unit_cost_benchmark.parquet").write_bytes(b"a file of the layout before refresh folders")
    (published / "Power BI").mkdir()
    old = [_refresh(ics).result.refresh_id for _ in range(3)]
    assert leftovers(published) == []
    assert not (published / "unit_cost_benchmark.parquet").exists() and not (published / "Power BI").exists()
    kept = sorted(p.name for p in published.iterdir() if p.name.startswith(files.VERSION_PREFIX))
    assert kept == sorted(f"refresh-{i}" for i in old), "the current refresh and the two before it"


def test_a_store_started_again_does_not_overwrite_the_current_folder(ics: Path) -> None:
    published = ics / "published"
    current = snapshots.read_pointer(published)
    assert current is not None
    assert snapshots.free_name(published, current["folder"]) == f"{current['folder']}-2"
    shutil.copytree(published / current["folder"], published / "refresh-9999")
    assert snapshots.free_name(published, "refresh-9999") == "refresh-9999"
    assert not (published / "refresh-9999").exists(), "a leftover of the same name that is not current goes"
