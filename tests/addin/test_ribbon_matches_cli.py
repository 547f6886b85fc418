"""The ribbon's Refresh and the CLI's `load` + `refresh` are the same job: they leave identical stores.

Before the jobs layer the ribbon chained the steps itself and skipped the data-quality rebuild, so after a ribbon
refresh `data_quality` still described the previous load. Here both paths start from the same extracts, each with a
store of its own: every table of both stores (data_quality included) must hold the same rows.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import duckdb
import pytest
from click.testing import CliRunner

from addin import functions
from addin.results import ResultsCache
from addin.ribbon import on_button
from engine import config as config_module
from engine import synth
from engine.cli import main
from tests.addin.conftest import FixedConfig
from tests.addin.test_ribbon import FakeWorkbook

pytestmark = pytest.mark.slow

# Columns that differ by when or where a path ran, not by what it computed: times, this folder's paths, durations.
RUN_SPECIFIC = {
    ("refresh_log", column) for column in ("config_file", "config_sha256", "settings", "tables", "inputs_sha256")
} | {("disclosure_audits", "runs")}  # how many programs the audits solved depends on the witnesses HiGHS finds first


def _config_file(extracts: Path, folder: Path) -> Path:
    """The generated config, with its own store and published folder in `folder`, reading new extracts from
    `extracts`."""
    folder.mkdir()
    text = (extracts / "ics.toml").read_text(encoding="utf-8")
    text = text.replace('path = "icsbench.duckdb"', f'path = "{(folder / "store.duckdb").as_posix()}"')
    assert "[folders]" not in text
    text = text.replace('gp_list_sizes = "', f'gp_list_sizes = "{extracts.as_posix()}/')
    text += f'\n[folders]\nextracts = "{extracts.as_posix()}"\npublished = "{(folder / "published").as_posix()}"\n'
    path = folder / "ics.toml"
    path.write_text(text, encoding="utf-8")
    return path


def _contents(store: Path) -> dict[str, list[tuple[Any, ...]]]:
    """Every table of a store, its rows sorted, without the columns that only say when or where it ran."""
    con = duckdb.connect(str(store), read_only=True)
    try:
        tables = con.execute(
            "SELECT table_schema, table_name FROM information_schema.tables WHERE table_type = 'BASE TABLE'"
        ).fetchall()
        out = {}
        for schema, name in tables:
            columns = [
                column
                for column, kind, *_ in con.execute(f'DESCRIBE "{schema}"."{name}"').fetchall()
                if kind != "TIMESTAMP" and (name, column) not in RUN_SPECIFIC
            ]
            select = ", ".join(f'"{c}"' for c in columns)
            rows = con.execute(f'SELECT {select} FROM "{schema}"."{name}"').fetchall()
            out[f"{schema}.{name}"] = sorted(rows, key=repr)
        return out
    finally:
        con.close()


def test_the_ribbon_refresh_and_the_cli_leave_identical_stores(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, "synthetic-test-key")
    extracts = tmp_path / "extracts"
    made = synth.generate(extracts, scale=0.002, seed=11)

    cli_config = _config_file(extracts, tmp_path / "cli")
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", str(extracts), "--config", str(cli_config)])
    assert loaded.exit_code == 0, loaded.output
    refreshed = runner.invoke(main, ["refresh", "--config", str(cli_config)])
    assert refreshed.exit_code == 0, refreshed.output

    ribbon_config = _config_file(extracts, tmp_path / "ribbon")
    source = FixedConfig(config_module.load(ribbon_config), ribbon_config)
    previous = functions.use_cache(ResultsCache(source, recheck_seconds=0))
    try:
        book = FakeWorkbook()
        on_button("ics_refresh", book, source)
    finally:
        functions.use_cache(previous)
    assert book.messages and book.messages[0].startswith("Refresh 1 done"), book.messages
    assert book.recalculated == 1

    by_cli = _contents(tmp_path / "cli" / "store.duckdb")
    by_ribbon = _contents(tmp_path / "ribbon" / "store.duckdb")
    assert sorted(by_cli) == sorted(by_ribbon)
    assert by_cli["main.data_quality"], "the load rebuilt the data-quality table"
    files = {f.name for f in made.files}
    assert {row[1] for row in by_ribbon["main.loads"]} == files  # every extract, once
    different = [name for name in by_cli if by_cli[name] != by_ribbon[name]]
    assert different == []
