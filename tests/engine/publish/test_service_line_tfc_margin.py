"""A service line filtered on TFCs is a margin of secondary suppression (issue 16l): its year at a provider is the sum
of its unit_cost_benchmark cells, so the year less the shown cells must not give a hidden cell back.

A tiny ICS built so the line is the only margin that protects the hidden cell: ZZA's day cases of AA11A in TFC 100
(3 episodes, small) and of BB22B in TFC 120 (12 episodes) make the line "Paeds" (TFCs 100 and 120, 15 episodes,
shown); each HRG has one cell, so its HRG row is that cell; the POD's only other HRG, CC33C in TFC 300, is the
cheaper partner there. Without the line as a margin, secondary suppression hides CC33C with AA11A and shows the
BB22B cell beside the line's year: the year less it is AA11A's cost to the penny.
"""

from __future__ import annotations

from contextlib import closing

import numpy as np
import pyarrow.compute as pc
from click.testing import CliRunner

from engine.cli import main
from engine.nhs_number import synthetic_numbers
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule
from engine.store import open_store
from tests.conftest import APC_HEADER, BASE_CONFIG, COST_HEADER, Workspace, apc_row, cost_row

LINE = """
[[service_lines]]
name = "Paeds"
settings = ["apc"]
tfcs = ["100", "120"]
"""
# (TFC, HRG, episodes, cost of each)
EPISODES = (("100", "AA11A", 3, 400.0), ("120", "BB22B", 12, 300.0), ("300", "CC33C", 10, 50.0))


def _cells_of_the_line(table: dict[str, list[object]], org: str) -> list[int]:
    return [
        i
        for i in range(len(table["org_code"]))
        if table["org_code"][i] == org and table["setting"][i] == "apc" and str(table["tfc"][i]) in ("100", "120")
    ]


def test_a_service_line_filtered_on_tfcs_does_not_give_a_hidden_cell_back(workspace: Workspace) -> None:
    workspace.config_path.write_text(BASE_CONFIG + LINE, encoding="utf-8")
    root = workspace.root
    patients = iter(synthetic_numbers(np.arange(100)))
    rows, costs, n = [], [], 0
    for tfc, hrg, count, each in EPISODES:
        for _ in range(count):
            rows.append(apc_row(f"R{n}", pod="DC", tfc=tfc, hrg=hrg, nhs_number=next(patients)))
            costs.append(cost_row(f"R{n}", each + n % 3))  # a few pence apart, so no two cells tie
            n += 1
    workspace.write_csv("ZZA_apc_202324_activity.csv", APC_HEADER, rows)
    workspace.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, costs)
    config_file = str(workspace.config_path)
    runner = CliRunner()
    loaded = runner.invoke(main, ["load", "--config", config_file, str(root)])
    assert loaded.exit_code == 0, loaded.output
    refreshed = runner.invoke(main, ["refresh", "--config", config_file])
    assert refreshed.exit_code == 0, refreshed.output
    config = workspace.config
    assert [s.name for s in config.service_lines] == ["Paeds"] and config.service_lines[0].tfcs
    rule = SuppressionRule.from_config(config.suppression)
    with closing(open_store(config, read_only=True)) as store:
        full = {n: store.con.sql(f"SELECT * FROM results.{n}").to_arrow_table() for n in secondary.TABLES}
        shown = {
            n: store.con.sql(f"SELECT * FROM published.{n}").to_arrow_table()
            for n in ("unit_cost_benchmark", "service_line_benchmark")
        }
    cells, shown_cells = full["unit_cost_benchmark"].to_pydict(), shown["unit_cost_benchmark"].to_pydict()
    line = _cells_of_the_line(cells, "ZZA")
    assert sorted(str(cells["tfc"][i]) for i in line) == ["100", "120"]
    years = full["service_line_benchmark"]
    year = pc.and_(pc.equal(years["period"], "year"), pc.equal(years["service_line"], "Paeds")).to_pylist()
    [at] = [i for i, y in enumerate(year) if y]
    # the margin is a true sum: the line's year is its cells' cost, to the penny
    line_cost = float(years["total_cost"][at].as_py())
    assert round(line_cost, 2) == round(sum(float(cells["total_cost"][i]) for i in line), 2)
    share = rule.protection_percent / 100

    def leaks(hidden_rows: set[int], year_hidden: bool) -> bool:
        """Whether the line's year less its shown cells pins a hidden cell closer than the protection interval."""
        if year_hidden:
            return False
        blank = [i for i in line if i in hidden_rows]
        for i in blank:
            rest = sum(abs(float(cells["total_cost"][j])) for j in blank if j != i)
            if rest < share * abs(float(cells["total_cost"][i])):
                return True
        return False

    # as published: the small cell is hidden, and the line's year with the shown cells does not give it back
    published_blank = {i for i in line if shown_cells["activity"][i] is None}
    small = [i for i in line if str(cells["tfc"][i]) == "100"]
    assert set(small) <= published_blank
    year_blank = shown["service_line_benchmark"]["activity"][at].as_py() is None
    assert not leaks(published_blank, year_blank)
    # secondary suppression's own pattern without the line's margin would leak (the route this margin closes) ...
    places = {d: p.name for p in config.population.places for d in p.districts}
    without = secondary.choose(full, rule, places, ())
    with_line = secondary.choose(full, rule, places, config.service_lines)
    primary = {i for i in line if rule.smallest_shown > cells["activity"][i] > 0}
    hid_without = primary | {i for i in line if without.hidden["unit_cost_benchmark"][i]}
    assert leaks(hid_without, bool(without.hidden["service_line_benchmark"][at]))
    # ... and with it does not
    hid_with = primary | {i for i in line if with_line.hidden["unit_cost_benchmark"][i]}
    assert not leaks(hid_with, bool(with_line.hidden["service_line_benchmark"][at]))
