"""A refresh with nothing new to compute says so and keeps the last refresh; anything the results depend on (a load,
a corrected file, a deletion, a setting, a file the config names, the reference data, the published folder) makes
it recompute, and what it keeps is what a full recompute gives."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from engine import jobs
from engine.metrics import catalog
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

pytestmark = pytest.mark.slow  # several whole refreshes, each writing its published files

MFF = "org_code,mff\nZZA,1.05\nZZB,0.98\n"


def _ics(workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(
        text.replace(
            '[store]\npath = "store.duckdb"',
            '[store]\npath = "store.duckdb"\n\n[benchmarks]\nmarket_forces_factors = "mff.csv"',
        ),
        encoding="utf-8",
    )
    (workspace.root / "mff.csv").write_text(MFF, encoding="utf-8")
    for org in ("ZZA", "ZZB"):
        records = [f"{org}{i}" for i in range(12)]
        workspace.write_csv(f"{org}_apc_2324_activity.csv", APC_HEADER, [apc_row(r, org_code=org) for r in records])
        workspace.write_csv(
            f"{org}_apc_2324_cost_lines.csv",
            COST_HEADER,
            [cost_row(r, 1000 + 10 * i, org_code=org) for i, r in enumerate(records)],
        )
    workspace.load(*sorted(workspace.root.glob("*_apc_2324_*.csv")))


def _refresh(workspace: Workspace, **kwargs: Any) -> jobs.RefreshOutcome:
    return jobs.refresh(workspace.config, config_file=workspace.config_path, **kwargs)


def _published(workspace: Workspace) -> dict[str, list[tuple[Any, ...]]]:
    """Every published table's rows without the refresh id, in a fixed order."""
    out = {}
    for metric in catalog.published():
        columns = [c.name for c in metric.columns if c.published and c.name != "refresh_id"]
        select = ", ".join(f'"{c}"' for c in columns)
        out[metric.name] = workspace.query(f"SELECT {select} FROM {metric.published_table} ORDER BY ALL")
    return out


def _attempts(workspace: Workspace) -> int:
    return int(workspace.query("SELECT count(*) FROM refresh_log")[0][0])


def test_a_second_refresh_with_nothing_new_keeps_the_first_and_matches_a_full_recompute(
    workspace: Workspace,
) -> None:
    _ics(workspace)
    first = _refresh(workspace)
    assert not first.unchanged
    kept = _published(workspace)

    again = _refresh(workspace)
    assert again.unchanged
    assert again.result.refresh_id == first.result.refresh_id
    assert again.result.cost_loaded == first.result.cost_loaded
    assert [t.name for t in again.result.tables] == [t.name for t in first.result.tables]
    assert again.published is not None and again.published.folder.is_dir()
    assert _attempts(workspace) == 1  # nothing recomputed, nothing logged

    full = _refresh(workspace, full=True)
    assert not full.unchanged and full.result.refresh_id > first.result.refresh_id
    assert _published(workspace) == kept  # what the skip kept is what recomputing gives


def _same_period_reloaded(workspace: Workspace) -> None:
    """The same file sent again: its period is replaced (by the same rows), and that is a load like any other."""
    workspace.load(workspace.root / "ZZA_apc_2324_activity.csv", workspace.root / "ZZA_apc_2324_cost_lines.csv")


def _corrected_cost(workspace: Workspace) -> None:
    records = [f"ZZA{i}" for i in range(12)]
    workspace.write_csv(
        "ZZA_apc_2324_cost_lines.csv",
        COST_HEADER,
        [cost_row(r, 1000 + 10 * i + (5 if i == 3 else 0)) for i, r in enumerate(records)],
    )
    workspace.load(workspace.root / "ZZA_apc_2324_cost_lines.csv")


def _deleted_records(workspace: Workspace) -> None:
    records = [f"ZZB{i}" for i in range(10)]  # two episodes withdrawn
    workspace.write_csv("ZZB_apc_2324_activity.csv", APC_HEADER, [apc_row(r, org_code="ZZB") for r in records])
    workspace.write_csv(
        "ZZB_apc_2324_cost_lines.csv",
        COST_HEADER,
        [cost_row(r, 1000 + 10 * i, org_code="ZZB") for i, r in enumerate(records)],
    )
    workspace.load(workspace.root / "ZZB_apc_2324_activity.csv", workspace.root / "ZZB_apc_2324_cost_lines.csv")


def _setting(workspace: Workspace) -> None:
    text = workspace.config_path.read_text(encoding="utf-8")
    workspace.config_path.write_text(text + "\n[suppression]\nsmallest_shown = 7\n", encoding="utf-8")


def _named_file(workspace: Workspace) -> None:
    (workspace.root / "mff.csv").write_text(MFF.replace("1.05", "1.07"), encoding="utf-8")


def _reference_data(workspace: Workspace, monkeypatch: pytest.MonkeyPatch) -> None:
    """The bundled reference data changed (a new icsbench): the store rebuilds its reference tables on open."""
    from engine import reference

    bundled = reference.fingerprint
    monkeypatch.setattr(reference, "fingerprint", lambda *a, **k: bundled(*a, **k) + "-next-release")


def _published_folder_gone(workspace: Workspace) -> None:
    import shutil

    shutil.rmtree(workspace.config.published_folder)


@pytest.mark.parametrize(
    "change",
    [
        _same_period_reloaded,
        _corrected_cost,
        _deleted_records,
        _setting,
        _named_file,
        _reference_data,
        _published_folder_gone,
    ],
    ids=[
        "same-period-reloaded",
        "corrected-file",
        "deletion",
        "setting",
        "named-file",
        "reference-data",
        "published-folder-removed",
    ],
)
def test_anything_the_results_depend_on_makes_the_refresh_recompute(
    workspace: Workspace, change: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _ics(workspace)
    first = _refresh(workspace)
    if change is _reference_data:
        change(workspace, monkeypatch)
    else:
        change(workspace)
    second = _refresh(workspace)
    assert not second.unchanged
    assert second.result.refresh_id > first.result.refresh_id
    [(cost,)] = workspace.query("SELECT sum(cost) FROM cost_lines")
    assert second.result.cost_loaded == cost
    assert _refresh(workspace).unchanged  # and once recomputed, nothing new again


def test_a_failed_load_changes_nothing_so_the_refresh_stands(workspace: Workspace) -> None:
    _ics(workspace)
    first = _refresh(workspace)
    bad = workspace.write_bytes("ZZA_apc_2324_cost_lines.csv", b"not,a,cost,file\n1,2,3,4\n")
    [result] = workspace.load(bad)
    assert result.status == "failed"
    assert _refresh(workspace).result.refresh_id == first.result.refresh_id


def test_the_cli_says_nothing_changed(workspace: Workspace, tmp_path: Path) -> None:
    from tests.engine.jobs.conftest import run_icsbench

    _ics(workspace)
    code, _ = run_icsbench(workspace.root, "refresh")
    assert code == 0
    code, output = run_icsbench(workspace.root, "refresh")
    assert code == 0 and "Nothing has changed since refresh 1" in output, output
    code, output = run_icsbench(workspace.root, "refresh", "--full")
    assert code == 0 and "Refresh 2 done" in output, output
