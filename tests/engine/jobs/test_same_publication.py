"""Two full refreshes of one store publish the same rows, whatever Python's hash seed: the suppression pattern (a
solver's choice among equally cheap patterns) must not move between refreshes, or a reader comparing two
publications of the same data could difference them."""

from __future__ import annotations

import shutil
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq
import pytest

from tests.engine.jobs.conftest import run_icsbench
from tests.engine.jobs.published_state import assert_exactly_one_refresh, current_manifest

pytestmark = pytest.mark.slow  # two whole refreshes of the tiny ICS as programs of their own

REFRESH_COLUMNS = {"refresh_id", "refreshed_at"}


def _published(root: Path) -> dict[str, pa.Table]:
    """Every published table of the refresh the pointer names, without the columns that name the refresh, its rows
    in one order."""
    published = root / "published"
    assert_exactly_one_refresh(published)
    manifest = current_manifest(published)
    assert manifest is not None
    folder = published / manifest["folder"]
    tables = {}
    for name, entry in manifest["tables"].items():
        table = pq.read_table(folder / entry["file"])
        table = table.drop_columns([c for c in table.column_names if c in REFRESH_COLUMNS])
        tables[name] = table.sort_by([(c, "ascending") for c in table.column_names])
    return tables


def _blanks(tables: dict[str, pa.Table]) -> int:
    return sum(table.column(c).null_count for table in tables.values() for c in table.column_names)


def test_two_refreshes_under_different_hash_seeds_publish_the_same_rows(
    tiny_ics: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    other = tmp_path / "other"
    shutil.copytree(tiny_ics, other)
    seen = []
    for root, seed in ((tiny_ics, "977"), (other, "1954")):
        monkeypatch.setenv("PYTHONHASHSEED", seed)
        code, output = run_icsbench(root, "refresh", "--full")
        assert code == 0, output
        seen.append(_published(root))
    first, second = seen
    assert first.keys() == second.keys() and len(first) > 20
    assert _blanks(first) > 1000  # suppression had choices to make
    for name in first:
        assert first[name].equals(second[name]), f"{name} differs between the two refreshes"
