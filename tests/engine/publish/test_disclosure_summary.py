"""What disclosure control hid, per published table (published.disclosure_summary), recounted a second way.

The summary is built from the rules' own masks (engine.publish.suppression) and secondary suppression's choice. Here
each table is recounted from the store alone: a row is hidden where its count is blank in `published.<t>`; it is small
where the count in `results.<t>` is 1 to smallest_shown - 1 (or missing); dominated where the p% or nk rule, written
out again below in SQL on the results' dominance figures, holds and it is not small; and hidden by secondary
suppression where it is blank for neither reason. Costs are the results' sums over the same rows.
"""

from __future__ import annotations

from contextlib import closing
from decimal import Decimal
from typing import Any

import duckdb
import numpy as np
import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine.cli import main
from engine.metrics import catalog
from engine.nhs_number import synthetic_numbers
from engine.publish import secondary, store_snapshot
from engine.publish.suppressed_tables import DisclosureSummary, TableDisclosure, disclosure_summary
from engine.publish.suppression import SuppressionRule
from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

GROUPS = ("shown", "small", "dominated", "secondary")


def _dominated_sql(metric: catalog.Metric, count: str, rule: SuppressionRule) -> str:
    """The p% and nk rules of docs/disclosure-control.md on the results' dominance figures of `count` (any figure)."""
    parts: dict[str | None, dict[str, str]] = {}
    for c in metric.columns:
        if c.role == "dominance" and c.source == count and c.part is not None:
            parts.setdefault(c.figure, {})[c.part] = c.name
    tests = []
    for names in parts.values():
        t, x1, x2 = (f'coalesce(CAST(r."{names[p]}" AS DOUBLE), 0)' for p in ("total", "largest", "second"))
        p_rule = f"{t} - {x1} - {x2} < {rule.dominance_p_percent / 100} * {x1}"
        nk_rule = f"{x1} + {x2} >= {rule.dominance_k_percent / 100} * {t}"
        tests.append(f"({x1} > 0 AND (({p_rule}) OR ({nk_rule})))")
    return " OR ".join(tests) or "false"


def _recount(con: duckdb.DuckDBPyConnection, row: TableDisclosure, rule: SuppressionRule) -> dict[str, Any]:
    """Rows and cost of each group of one table, from results.<t> joined with published.<t> on the table's keys."""
    metric = catalog.metric(row.table_name)
    keys = [c.name for c in metric.columns if c.role == "key"]
    on = " AND ".join(f'r."{k}" IS NOT DISTINCT FROM p."{k}"' for k in keys) or "true"
    count = row.count_column
    small = f'(r."{count}" IS NULL OR r."{count}" BETWEEN 1 AND {rule.smallest_shown - 1})'
    dominated = f"(NOT {small} AND ({_dominated_sql(metric, count, rule)}))"
    group = (
        f"CASE WHEN {small} THEN 'small' WHEN {dominated} THEN 'dominated' "
        f"WHEN p.\"{count}\" IS NULL THEN 'secondary' ELSE 'shown' END"
    )
    cost = f'sum(r."{row.cost_column}")' if row.cost_column else "NULL"
    found = con.execute(
        f'SELECT {group} AS g, count(*), {cost}, count(*) FILTER (WHERE p."{count}" IS NOT NULL) '
        f"FROM results.{row.table_name} r JOIN published.{row.table_name} p ON {on} GROUP BY g"
    ).fetchall()
    [(results_rows,)] = con.execute(f"SELECT count(*) FROM results.{row.table_name}").fetchall()
    out: dict[str, Any] = {"rows": results_rows, "joined": sum(r[1] for r in found)}
    for name in GROUPS:
        hit = next((r for r in found if r[0] == name), (name, 0, None, 0))
        out[f"{name}_rows"], out[f"{name}_cost"], out[f"{name}_rows_with_a_count"] = hit[1], hit[2], hit[3]
    return out


def _pounds(value: Any) -> Decimal:
    return Decimal(str(value or 0)).quantize(Decimal("0.01"))


def _check_against_a_recount(config: config_module.IcsConfig) -> DisclosureSummary:
    """Every table of the summary agrees with the recount; the snapshot's copy (which `icsbench quality` reads) is the
    store's. Returns the summary."""
    rule = SuppressionRule.from_config(config.suppression)
    with closing(open_store(config, read_only=True)) as store:
        summary = disclosure_summary(store)
        assert summary is not None
        with_counts = {m.name for m in catalog.published() if any(c.role == "count" for c in m.columns)}
        assert {t.table_name for t in summary.tables} == with_counts
        for row in summary.tables:
            again = _recount(store.con, row, rule)
            where = row.table_name
            assert again["joined"] == again["rows"] == row.rows, where  # one published row for each result row
            assert again["shown_rows_with_a_count"] == again["shown_rows"], where  # shown rows show their count
            for name in ("small", "dominated", "secondary"):  # and every hidden row is blank
                assert again[f"{name}_rows_with_a_count"] == 0, (where, name)
            for name in GROUPS:
                assert getattr(row, f"{name}_rows") == again[f"{name}_rows"], (where, name)
                if row.cost_column is None:
                    assert getattr(row, f"{name}_cost") is None, where
                else:
                    assert _pounds(getattr(row, f"{name}_cost")) == _pounds(again[f"{name}_cost"]), (where, name)
            assert row.secondary_row_share == pytest.approx(row.secondary_rows / row.rows if row.rows else None)
            if row.cost:
                assert row.secondary_cost_share == pytest.approx(float(row.secondary_cost or 0) / float(row.cost))
    assert store_snapshot.disclosure(config) == summary
    return summary


def test_the_summary_agrees_with_a_recount_on_a_tiny_ics_and_the_commands_print_it(workspace: Workspace) -> None:
    """A tiny ICS built to have each kind of hidden cell in unit_cost_benchmark: a small one (3 episodes), its only
    partner in its POD + HRG hidden with it (secondary), and a dominated one (one episode of £50,000 among 10)."""
    patients = iter(synthetic_numbers(np.arange(40)))
    episodes: list[tuple[str, str, str, float]] = []  # org, TFC, HRG, cost
    episodes += [("ZZA", "110", "HT12A", 100.0 + i) for i in range(12)]
    episodes += [("ZZA", "100", "HT12A", 200.0 + i) for i in range(3)]
    episodes += [("ZZA", "300", "FZ12A", 50_000.0 if i == 0 else 100.0) for i in range(10)]
    episodes += [("ZZB", "110", "HT12A", 120.0 + i) for i in range(9)]
    for org in ("ZZA", "ZZB"):
        mine = [(i, e) for i, e in enumerate(episodes) if e[0] == org]
        workspace.write_csv(
            f"{org}_apc_202324_activity.csv",
            APC_HEADER,
            [
                apc_row(f"R{i}", org_code=org, tfc=tfc, hrg=hrg, nhs_number=next(patients))
                for i, (_, tfc, hrg, _) in mine
            ],
        )
        workspace.write_csv(
            f"{org}_apc_202324_cost_lines.csv",
            COST_HEADER,
            [cost_row(f"R{i}", cost, org_code=org) for i, (*_, cost) in mine],
        )
    config_file = str(workspace.config_path)
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", "--config", config_file, str(workspace.root)])
    assert loaded.exit_code == 0, loaded.output
    refreshed = runner.invoke(main, ["refresh", "--config", config_file], terminal_width=400)
    assert refreshed.exit_code == 0, refreshed.output

    summary = _check_against_a_recount(workspace.config)
    cells = summary.table("unit_cost_benchmark")
    assert cells is not None
    assert (cells.rows, cells.shown_rows, cells.small_rows, cells.dominated_rows, cells.secondary_rows) == (
        4,
        1,
        1,
        1,
        1,
    )
    assert cells.cost == Decimal(sum(Decimal(str(e[3])) for e in episodes)).quantize(Decimal("0.0001"))
    # the refresh says it in one sentence, with the totals over every table
    assert summary.sentence() in " ".join(refreshed.output.split())
    assert f"hid {summary.small_rows:,} small cells, {summary.dominated_rows:,} dominated" in summary.sentence()

    # secondary suppression's own account of its tables (per_table) agrees with the summary's rows
    with closing(open_store(workspace.config, read_only=True)) as store:
        full = {n: store.con.sql(f"SELECT * FROM results.{n}").to_arrow_table() for n in secondary.TABLES}
    config = workspace.config
    places = {d: p.name for p in config.population.places for d in p.districts}
    outcome = secondary.choose(full, SuppressionRule.from_config(config.suppression), places, config.service_lines)
    for own in outcome.per_table:
        row = summary.table(own.table)
        assert row is not None
        assert (own.cells, own.primary_cells, own.secondary_cells) == (
            row.rows,
            row.small_rows + row.dominated_rows,
            row.secondary_rows,
        ), own.table

    # `icsbench quality` prints the table, read from the snapshot beside the store
    quality = runner.invoke(main, ["quality", "--config", config_file], terminal_width=400)
    assert quality.exit_code == 0, quality.output
    assert "Disclosure control at the last refresh" in quality.output
    [line] = [x for x in quality.output.splitlines() if "│ unit_cost_benchmark " in x]
    assert [v.strip() for v in line.split("│")[2:7]] == ["4", "1", "1", "1", "1"]


def test_the_summary_agrees_with_a_recount_on_the_synthetic_ics(refreshed_ics: Any) -> None:
    """Scale 0.01: every published table with a count, recounted."""
    _, config = refreshed_ics
    summary = _check_against_a_recount(config)
    cells = summary.table("unit_cost_benchmark")
    drivers = summary.table("cost_driver_benchmark")
    assert cells is not None and drivers is not None
    # each rule hides something at this scale: the summary is not trivially zero
    assert cells.small_rows > 0 and cells.secondary_rows > 0 and drivers.dominated_rows > 0
    assert summary.small_rows > summary.secondary_rows > 0
