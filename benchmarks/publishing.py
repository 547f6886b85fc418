"""Secondary suppression's speed and what it hides: the publishing step's largest part, on a refreshed store.

Reads the full results of the published tables in its margins (cost, wards, service lines, lengths of stay) from a
store that has been refreshed, then times `engine.publish.secondary.choose` on them with the config's service lines,
as a refresh calls it (their margins make the overlap audit run; before issue 21a the script left them out, so it timed
no audit): building the cells and margins, and each group of linked cells (one provider's year) with its size, how its
pattern was chosen (HiGHS's integer program, or margin by margin for a group too large for it within a refresh) and
its seconds; peak RSS; and what it hides beyond primary suppression (cells and cost of unit_cost_benchmark, and cells
and magnitude per table: the information loss).

With `--baseline` it runs the same results again with HiGHS on every group, however large (the pattern every refresh
chose before issue 21), and prints the ratio of times and the difference in information loss. That can take minutes
at scale 1.0. The script is a report: it always exits 0.

    .venv/bin/python benchmarks/publishing.py --config /path/to/ics.toml
    .venv/bin/python benchmarks/publishing.py --config /path/to/ics.toml --baseline
"""

from __future__ import annotations

import argparse
import os
import resource
import time
from contextlib import closing
from pathlib import Path

import numpy as np
import pyarrow as pa

from engine import config as config_module
from engine.config import ServiceLineSpec
from engine.publish import secondary
from engine.publish.suppression import SuppressionRule
from engine.store import open_store

MB = 1024  # ru_maxrss is in KiB on Linux


Lines = tuple[ServiceLineSpec, ...]


def _tables(config_path: Path) -> tuple[dict[str, pa.Table], SuppressionRule, dict[str, str], Lines]:
    """The full results of the tables in the margins, the suppression rule, each district's place and the service
    lines (whose years are margins too, and whose cells the audit checks, as a refresh does)."""
    config = config_module.load(config_path)
    with closing(open_store(config, read_only=True)) as store:
        tables = {n: store.con.sql(f"SELECT * FROM results.{n}").to_arrow_table() for n in secondary.TABLES}
    places = {d: p.name for p in config.population.places for d in p.districts}
    return tables, SuppressionRule.from_config(config.suppression), places, tuple(config.service_lines)


def _run(
    tables: dict[str, pa.Table], rule: SuppressionRule, places: dict[str, str], lines: Lines
) -> tuple[secondary.SecondaryOutcome, float, float, float]:
    clock = time.perf_counter()
    secondary.margin_cells(tables, rule, places, lines)
    cells_seconds = time.perf_counter() - clock
    clock, cpu = time.perf_counter(), time.process_time()
    outcome = secondary.choose(tables, rule, places, lines)
    return outcome, cells_seconds, time.perf_counter() - clock, time.process_time() - cpu


def _report(label: str, outcome: secondary.SecondaryOutcome, cells_seconds: float, seconds: float, cpu: float) -> None:
    print(f"{label}: choose {seconds:.2f} s, {cpu:.2f} s CPU (of which cells and margins about {cells_seconds:.2f} s)")
    for c in outcome.components:
        print(f"  {c.cells:>8,} cells {c.margins:>8,} margins {c.hidden:>8,} hidden  {c.method:<17} {c.seconds:7.2f} s")
    share = outcome.secondary_cost / outcome.cost if outcome.cost else 0.0
    print(
        f"  unit_cost_benchmark: {outcome.cells:,} cells; hidden beyond primary {outcome.secondary_cells:,} cells, "
        f"£{outcome.secondary_cost:,.2f} ({share:.2%} of £{outcome.cost:,.2f})"
    )
    for t in outcome.per_table:
        print(
            f"  {t.table}: {t.cells:,} rows, {t.primary_cells:,} hidden by their own rule, {t.secondary_cells:,} by "
            f"secondary suppression ({t.unit} {t.secondary_value:,.2f} of {t.value:,.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--config", type=Path, required=True, help="a refreshed store's ics.toml")
    parser.add_argument("--baseline", action="store_true", help="also run HiGHS on every group (slow)")
    args = parser.parse_args()
    tables, rule, places, lines = _tables(args.config)
    rows = ", ".join(f"{n} {t.num_rows:,}" for n, t in tables.items())
    print(f"rows: {rows}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    outcome, cells_seconds, seconds, cpu = _run(tables, rule, places, lines)
    _report(f"now (HiGHS up to {secondary.SOLVE_LIMIT:,} cells a group)", outcome, cells_seconds, seconds, cpu)
    print(f"  peak RSS so far {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / MB:,.0f} MB")
    if not args.baseline:
        return
    limit = secondary.SOLVE_LIMIT
    secondary.SOLVE_LIMIT = 2**62
    try:
        before, before_cells, before_seconds, before_cpu = _run(tables, rule, places, lines)
    finally:
        secondary.SOLVE_LIMIT = limit
    _report("baseline (HiGHS on every group)", before, before_cells, before_seconds, before_cpu)
    differ = sum(int(np.sum(outcome.hidden[n] != before.hidden[n])) for n in outcome.hidden)
    print(
        f"ratio baseline / now: {before_seconds / seconds:.1f}x; cells hidden differently: {differ:,}; "
        f"hidden beyond primary in unit_cost_benchmark {before.secondary_cells:,} -> {outcome.secondary_cells:,} "
        f"cells, £{before.secondary_cost:,.2f} -> £{outcome.secondary_cost:,.2f}"
    )


if __name__ == "__main__":
    main()
