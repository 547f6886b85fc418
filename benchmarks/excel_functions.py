"""Worksheet-function speed: the first call after a refresh, and 10,000 calls on a warm cache.

Runs against a store that is already loaded and refreshed (e.g. by `benchmarks/refresh.py` at scale 1.0):

    .venv/bin/python benchmarks/excel_functions.py --store /path/to/ics.toml

* first call: a new process's first `=ICS_OPPORTUNITY(provider, "NEL", hrg)`, which reads the published tables it
  needs from the store and indexes them (the cost after every refresh). Measured in a fresh subprocess, three times.
* warm: 10,000 calls spread over a realistic sheet (the provider's top cells at the seed grain with a float TFC, and
  POD and HRG totals), against the baseline of the same lookups done straight on the published table in DuckDB
  (what a formula would cost if it queried the store each time), over a 200-call sample.

Targets: 10,000 warm calls in under 0.5 s in total; the first call after a refresh of the scale-1.0 ICS under 2 s.
The script is a report: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
import time
from pathlib import Path

FIRST_CALL = """
import json, sys, time
from pathlib import Path
from addin import functions
from addin.results import ResultsCache
from addin.config_source import ConfigSource
functions.use_cache(ResultsCache(ConfigSource(Path(sys.argv[1]))))
start = time.perf_counter()
answer = functions.ICS_OPPORTUNITY(sys.argv[2], sys.argv[3], sys.argv[4])
print(json.dumps({"seconds": time.perf_counter() - start, "answer": answer}))
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--store", type=Path, required=True, help="ics.toml of a loaded, refreshed store")
    parser.add_argument("--calls", type=int, default=10_000)
    options = parser.parse_args()

    from addin import functions
    from addin.config_source import ConfigSource
    from addin.results import ResultsCache
    from engine.store import open_store

    source = ConfigSource(options.store)
    config = source()
    store = open_store(config, read_only=True)
    try:
        cells = store.con.execute(
            "SELECT org_code, pod, hrg, tfc FROM published.unit_cost_benchmark WHERE activity IS NOT NULL "
            "AND tfc <> '' ORDER BY opportunity_vs_ics DESC NULLS LAST LIMIT 500"
        ).fetchall()
        records = store.con.execute("SELECT sum(activity) FROM results.unit_cost_benchmark").fetchall()[0][0]
    finally:
        store.close()
    org, pod, hrg, _ = cells[0]

    firsts = []
    for _ in range(3):
        out = subprocess.run(
            [sys.executable, "-c", FIRST_CALL, str(options.store), org, pod, hrg],
            check=True,
            capture_output=True,
            text=True,
        )
        firsts.append(json.loads(out.stdout.strip().splitlines()[-1])["seconds"])

    functions.use_cache(ResultsCache(source))
    calls = []
    for org_code, cell_pod, cell_hrg, tfc in cells:
        calls.append((functions.ICS_OPPORTUNITY, (org_code, cell_pod, cell_hrg, None, None, float(tfc))))
        calls.append((functions.ICS_MEAN_COST, (org_code, cell_pod, cell_hrg, float(tfc))))
        calls.append((functions.ICS_OPPORTUNITY, (org_code, cell_pod, cell_hrg)))
        calls.append((functions.ICS_ACTIVITY, (org_code, cell_pod)))
    for function, args in calls:  # warm the cache: every table and index the sheet needs
        function(*args)
    sheet = [calls[i % len(calls)] for i in range(options.calls)]
    start = time.perf_counter()
    for function, args in sheet:
        function(*args)
    warm = time.perf_counter() - start

    sample = sheet[:200]
    store = open_store(config, read_only=True)
    try:
        start = time.perf_counter()
        for _, args in sample:
            store.con.execute(
                "SELECT opportunity_vs_ics FROM published.opportunity_summary WHERE org_code = ? AND pod = ? "
                "AND hrg = ? AND cost_driver = '(all)'",
                [args[0], args[1], args[2] if len(args) > 2 else "(all)"],
            ).fetchall()
        per_query = (time.perf_counter() - start) / len(sample)
    finally:
        store.close()

    print(f"Store: {config.store_path} ({records:,} records in unit_cost_benchmark)")
    print(
        f"First call after a refresh (fresh process, 3 runs): median {statistics.median(firsts):.2f} s, "
        f"max {max(firsts):.2f} s  (target < 2 s)"
    )
    print(
        f"{options.calls:,} warm calls: {warm:.3f} s in total, {warm / options.calls * 1e6:.1f} µs per call  "
        f"(target < 0.5 s)"
    )
    print(
        f"Baseline, one DuckDB query per call: {per_query * 1e6:.0f} µs per call, "
        f"{per_query * options.calls:.1f} s for {options.calls:,}; the cache is "
        f"{per_query * options.calls / warm:.0f}x faster"
    )


if __name__ == "__main__":
    main()
