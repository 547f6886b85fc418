"""The command line: each command's output and exit code, run in-process through click's runner."""

from __future__ import annotations

import csv
from pathlib import Path

import numpy as np
from click.testing import CliRunner

from engine.cli import main
from engine.nhs_number import synthetic_numbers
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row


def run(*args: str) -> tuple[int, str]:
    result = CliRunner().invoke(main, list(args))
    return result.exit_code, result.output


def test_init_writes_a_config_that_loads_and_refuses_to_overwrite(tmp_path: Path) -> None:
    target = tmp_path / "ics.toml"
    code, output = run("init", str(target))
    assert code == 0 and "Wrote" in output
    from engine import config

    assert config.load(target).providers[0].code == "ZZA"
    code, output = run("init", str(target))
    assert code == 2 and "already exists" in output


def test_a_missing_config_is_a_message_not_a_traceback(tmp_path: Path) -> None:
    code, output = run("status", "--config", str(tmp_path / "nope.toml"))
    assert code == 2
    assert "no such config file" in output and "icsbench init" in output
    assert "Traceback" not in output


def test_load_prints_a_summary_and_the_status_agrees(workspace: Workspace) -> None:
    workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R2")])
    workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R1", "1,000.10"), cost_row("R2", 5)])
    code, output = run("load", "--config", str(workspace.config_path), str(workspace.root))
    assert code == 0, output
    assert "2 files: 4 rows loaded, 0 rejected, £1,005.10 loaded." in output
    code, output = run("status", "--config", str(workspace.config_path))
    assert code == 0
    assert "Total: 2 records, 2 cost lines, £1,005.10." in output


def test_load_exits_1_when_a_file_cannot_be_read(workspace: Workspace) -> None:
    path = workspace.write_bytes("ZZA_apc_202324_activity.csv", b"")
    code, output = run("load", "--config", str(workspace.config_path), str(path))
    assert code == 1
    assert "empty" in output


def test_quarantine_lists_and_exports_rejected_rows_safely(workspace: Workspace) -> None:
    rows = [apc_row("R1"), apc_row("=HYPERLINK(1)")]
    workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows)
    workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row("R404", 5)])
    code, output = run("load", "--config", str(workspace.config_path), str(workspace.root))
    assert code == 0
    code, output = run("quarantine", "--config", str(workspace.config_path))
    assert code == 0 and "1 rejected rows" in output and "R404" in output
    out = workspace.root / "rejected.csv"
    code, output = run("quarantine", "--config", str(workspace.config_path), "--out", str(out))
    assert code == 0
    with out.open(encoding="utf-8-sig") as handle:
        rows_out = list(csv.DictReader(handle))
    assert [(r["file"], r["row"], r["check"]) for r in rows_out] == [
        ("ZZA_apc_202324_cost_lines.csv", "2", "no_activity_record")
    ]


def test_quality_report_shows_rejections_by_reason(workspace: Workspace) -> None:
    workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, [apc_row("R1"), apc_row("R1"), apc_row("R3")])
    run("load", "--config", str(workspace.config_path), str(workspace.root))
    code, output = run("quality", "--config", str(workspace.config_path), "--by", "period")
    assert code == 0
    assert "duplicate_record_id" in output
    assert "2023/24 P1" in output


def test_formula_like_text_is_made_inert() -> None:
    from engine.publish.reports import inert

    assert [inert(v) for v in ("=1+1", "+44", "-3", "@SUM", "ok", "")] == [
        "'=1+1",
        "'+44",
        "'-3",
        "'@SUM",
        "ok",
        "",
    ]


def test_refresh_then_export_from_the_command_line(workspace: Workspace) -> None:
    workspace.write_csv(
        "ZZA_apc_202324_activity.csv",
        APC_HEADER,
        # twelve patients: one patient's twelve episodes would make up the whole cell, which the dominance rule hides
        [apc_row(f"R{i}", org_code="ZZA", nhs_number=n) for i, n in enumerate(synthetic_numbers(np.arange(12)))],
    )
    workspace.write_csv(
        "ZZA_apc_202324_cost_lines.csv", COST_HEADER, [cost_row(f"R{i}", 100 + i, org_code="ZZA") for i in range(12)]
    )
    code, output = run("load", "--config", str(workspace.config_path), str(workspace.root))
    assert code == 0, output
    code, output = run(
        "export", "system_cost", "--out", str(workspace.root / "early.csv"), "--config", str(workspace.config_path)
    )
    assert code == 2 and "icsbench refresh" in output
    code, output = run("refresh", "--config", str(workspace.config_path))
    assert code == 0, output
    assert "unit_cost_benchmark" in output and "£1,266.00" in output and "reconcile" in output
    out = workspace.root / "costs.csv"
    code, output = run("export", "unit_cost_benchmark", "--out", str(out), "--config", str(workspace.config_path))
    assert code == 0 and "Wrote 1 rows" in output
    with out.open(encoding="utf-8") as handle:
        [row] = list(csv.DictReader(handle))
    # 12 records costing £1,266 are published as 10, and their total at the rounded count (docs/disclosure-control.md,
    # rule 3): the mean £105.50 x 10, so total / mean gives back 10 and not 12
    assert row["activity"] == "10" and row["mean_cost"] == "105.5" and row["total_cost"] == f"{1266 / 12 * 10:.4f}"
    code, output = run(
        "export", "unit_cost_benchmark", "--out", str(out), "--unsuppressed", "--config", str(workspace.config_path)
    )
    assert code == 0 and "NOT hidden" in output
