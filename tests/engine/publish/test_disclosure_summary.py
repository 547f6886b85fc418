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
from pathlib import Path
from typing import Any

import duckdb
import highspy
import numpy as np
import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine.cli import main
from engine.metrics import catalog
from engine.nhs_number import synthetic_numbers
from engine.publish import highs, secondary, snapshots, store_snapshot, suppressed_tables
from engine.publish.suppressed_tables import DisclosureSummary, TableDisclosure, disclosure_summary
from engine.publish.suppression import SuppressionRule
from engine.store import open_store
from tests.conftest import APC_HEADER, COST_HEADER, Workspace, apc_row, cost_row

GROUPS = ("shown", "small", "dominated", "secondary")
STALLED = 6  # HiGHS runs stopped short in the test of unsettled programs


def _dominated_sql(metric: catalog.Metric, count: str, rule: SuppressionRule) -> str:
    """The p% and nk rules and the threshold on contributors of docs/disclosure-control.md on the results' dominance
    figures of `count` (any figure)."""
    parts: dict[str | None, dict[str, str]] = {}
    for c in metric.columns:
        if c.role == "dominance" and c.source == count and c.part is not None:
            parts.setdefault(c.figure, {})[c.part] = c.name
    tests = []
    for names in parts.values():
        t, x1, x2, n = (
            f'coalesce(CAST(r."{names[p]}" AS DOUBLE), 0)' for p in ("total", "largest", "second", "contributors")
        )
        p_rule = f"{t} - {x1} - {x2} < {rule.dominance_p_percent / 100} * {x1}"
        nk_rule = f"{x1} + {x2} >= {rule.dominance_k_percent / 100} * {t}"
        few = f"{n} < {rule.smallest_shown}"
        tests.append(f"({x1} > 0 AND (({p_rule}) OR ({nk_rule}) OR ({few})))")
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


def _tiny_ics(workspace: Workspace) -> list[tuple[str, str, str, float]]:
    """A tiny ICS built to have each kind of hidden cell in unit_cost_benchmark, written as extracts: a small one (3
    episodes), its only partner in its POD + HRG hidden with it (secondary), and a dominated one (one episode of
    £50,000 among 10). Its episodes: (org, TFC, HRG, cost)."""
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
    return episodes


def test_the_summary_agrees_with_a_recount_on_a_tiny_ics_and_the_commands_print_it(workspace: Workspace) -> None:
    """The tiny ICS of `_tiny_ics`: one cell of each kind, counted, and said by the refresh and `icsbench quality`."""
    episodes = _tiny_ics(workspace)
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
    lines = quality.output.splitlines()
    [line] = [x for x in lines if "│ unit_cost_benchmark " in x and suppressed_tables.ICS_FIGURES not in x]
    assert [v.strip() for v in line.split("│")[2:7]] == ["4", "1", "1", "1", "1"]
    # and the figures hidden within rows, one line each (here the ICS figures of the small and dominated cells)
    assert summary.within
    for w in summary.within:
        assert any(f"│ {w.table_name} " in x and f" {w.count_column} " in x and f" {w.rule} " in x for x in lines), w


def test_the_refresh_says_when_highs_could_not_settle_an_audit_program(
    workspace: Workspace, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An audit hides what a program HiGHS could not settle audited (engine/publish/highs.py), which is safe but may
    hide far more than needed, so the refresh counts those programs and says so. Here the solver is allowed no
    simplex iteration for the first STALLED runs (the engine's own retry included), then runs as usual."""
    _tiny_ics(workspace)
    config_file = str(workspace.config_path)
    runner = CliRunner()
    assert runner.invoke(main, ["load", "--config", config_file, str(workspace.root)]).exit_code == 0
    settled = runner.invoke(main, ["refresh", "--config", config_file], terminal_width=400)
    assert settled.exit_code == 0, settled.output
    summary = store_snapshot.disclosure(workspace.config)
    assert summary is not None and summary.audits is not None
    assert summary.audits.runs > 0 and summary.audits.unsettled == 0
    assert "could not settle" not in settled.output
    quality = runner.invoke(main, ["quality", "--config", config_file], terminal_width=400)
    assert f"HiGHS settled all {summary.audits.runs:,} linear programs" in " ".join(quality.output.split())

    stalled, engine_run = [], highs.run_solver

    def stalled_first(solver: highspy.Highs) -> None:
        _, limit = solver.getOptionValue("simplex_iteration_limit")
        if len(stalled) < STALLED:
            solver.setOptionValue("simplex_iteration_limit", 0)
        try:
            engine_run(solver)
        finally:
            solver.setOptionValue("simplex_iteration_limit", limit)
        if len(stalled) < STALLED:
            stalled.append(solver.getModelStatus())

    monkeypatch.setattr(highs, "run_solver", stalled_first)
    refreshed = runner.invoke(main, ["refresh", "--full", "--config", config_file], terminal_width=400)
    assert refreshed.exit_code == 0, refreshed.output
    again = store_snapshot.disclosure(workspace.config)
    assert again is not None and again.audits is not None
    assert 0 < again.audits.unsettled <= STALLED // 2 < again.audits.runs  # an unsettled program ran twice, stalled
    said = f"HiGHS could not settle {again.audits.unsettled:,} of the {again.audits.runs:,} linear programs"
    assert said in " ".join(refreshed.output.split())
    with closing(open_store(workspace.config, read_only=True)) as store:
        assert disclosure_summary(store) == again


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


def _within_recount(
    con: duckdb.DuckDBPyConnection, folder: Path, rule: SuppressionRule
) -> dict[tuple[str, str], dict[str, tuple[int, Decimal]]]:
    """Figures hidden within rows, recounted from the published Parquet files joined with results.<t> on the keys:
    for each ICS count and GP practice setting count, (rows, results' cost) where it is blank in the file, split into
    small (1 to smallest_shown - 1, or missing), dominated (the p% or nk rule in SQL, not small) and beyond (neither:
    blank for a rule of the columns)."""
    out: dict[tuple[str, str], dict[str, tuple[int, Decimal]]] = {}
    for metric in catalog.published():
        counts = [c.name for c in metric.columns if c.role == "count"]
        wanted = {c: None for c in counts if c.startswith("ics_")}
        if metric.name == "gp_practice_cost":
            wanted |= {f"{s}_activity": f"{s}_cost" for s in SETTINGS}
        if not wanted:
            continue
        keys = [c.name for c in metric.columns if c.role == "key"]
        on = " AND ".join(f'r."{k}" IS NOT DISTINCT FROM p."{k}"' for k in keys)
        path = str(folder / f"{metric.name}.parquet").replace("'", "''")
        for count, money in wanted.items():
            small = f'(r."{count}" IS NULL OR r."{count}" BETWEEN 1 AND {rule.smallest_shown - 1})'
            group = (
                f"CASE WHEN {small} THEN 'small' WHEN {_dominated_sql(metric, count, rule)} THEN 'dominated' "
                "ELSE 'beyond' END"
            )
            cost = f'sum(r."{money}")' if money else "NULL"
            found = con.execute(
                f"SELECT {group}, count(*), {cost} FROM results.{metric.name} r "
                f"JOIN read_parquet('{path}') p ON {on} WHERE p.\"{count}\" IS NULL GROUP BY ALL"
            ).fetchall()
            out[(metric.name, count)] = {g: (n, _pounds(c)) for g, n, c in found}
    return out


SETTINGS = ("apc", "op", "ec", "cc", "mh", "chs")


def test_figures_hidden_within_rows_agree_with_a_recount_from_the_published_files(refreshed_ics: Any) -> None:
    """Scale 0.01: the figures the per-table rows do not count (a GP practice's setting costs, the ICS figures beside
    a provider's row) are reported by rule; recounted from the published files, the blanks for each count add up to
    what is reported, the small and dominated ones match, and every other blank is claimed by a named column rule
    (a rule added or dropped from the account would leave its blanks to "another rule", and this fails)."""
    _, config = refreshed_ics
    rule = SuppressionRule.from_config(config.suppression)
    with closing(open_store(config, read_only=True)) as store:
        summary = disclosure_summary(store)
        manifest = snapshots.read_pointer(config.published_folder)
        assert summary is not None and manifest is not None
        again = _within_recount(store.con, snapshots.version_folder(config.published_folder, manifest), rule)
    assert store_snapshot.disclosure(config) == summary  # `icsbench quality` reads the same
    assert [w for w in summary.within if w.rule == suppressed_tables.OTHER] == []
    reported: dict[tuple[str, str], dict[str, tuple[int, Decimal]]] = {}
    for w in summary.within:
        group = w.rule if w.rule in (suppressed_tables.SMALL, suppressed_tables.DOMINATED) else "beyond"
        rows, cost = reported.setdefault((w.table_name, w.count_column), {}).get(group, (0, Decimal(0)))
        reported[(w.table_name, w.count_column)][group] = (rows + w.rows, cost + _pounds(w.cost))
    for where in set(again) | set(reported):
        recount = {g: v for g, v in again.get(where, {}).items() if v[0]}
        mine = reported.get(where, {})
        assert {g: n for g, (n, _) in mine.items()} == {g: n for g, (n, _) in recount.items()}, where
        if where[0] == "gp_practice_cost":
            assert {g: c for g, (_, c) in mine.items()} == {g: c for g, (_, c) in recount.items()}, where
    # the rules this scale exercises are each counted, and the sentence says so in words
    settings, pounds = summary.hidden_within(suppressed_tables.SETTING_COSTS, suppressed_tables.ROW_PARTNERS)
    assert settings > 0 and pounds > 0
    for name in (suppressed_tables.ICS_COUNTS, suppressed_tables.ICS_MONEY):
        assert summary.hidden_within(suppressed_tables.ICS_FIGURES, name)[0] > 0, name
    sentence = summary.sentence()
    total, all_pounds = summary.hidden_within(suppressed_tables.SETTING_COSTS)
    assert f"hid {total:,} GP practice setting costs (£{all_pounds:,.0f})" in sentence
    assert f"{settings:,} (£{pounds:,.0f}) so the practice's total" in sentence
