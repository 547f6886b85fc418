"""One very large CSV: is it streamed (bounded memory) and how fast is it loaded?

Writes an activity file and a cost-line CSV of about --gigabytes (money as `£1,234.50`, so every value is parsed),
loads both in a fresh process as `icsbench load` does, and reports time, lines per second and peak RSS. The same-run
baseline is DuckDB's own CSV reader copying the file into a table with no checks.

    .venv/bin/python benchmarks/large_csv.py --gigabytes 2
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

CONFIG = """
[[providers]]
code = "ZZA"
name = "Large file test (synthetic)"
type = "acute"
[store]
path = "store.duckdb"
[[extracts]]
pattern = "*_apc_*_activity.*"
setting = "apc"
[[extracts]]
pattern = "*_apc_*_cost_lines.*"
setting = "apc"
layout = "cost_lines"
"""

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
folder, mode = Path(sys.argv[1]), sys.argv[2]
started = time.perf_counter()
if mode == "icsbench":
    from engine import config
    from engine.ingest import load_files
    from engine.store import open_store
    store = open_store(config.load(folder / "ics.toml"))
    results = load_files(store, [folder / "ZZA_apc_202324_activity.csv", folder / "ZZA_apc_202324_cost_lines.csv"])
    store.close()
    lines, rejected = results[1].rows_loaded, results[1].rows_rejected
else:
    import duckdb
    con = duckdb.connect(str(folder / "baseline.duckdb"))
    con.execute(f"CREATE TABLE t AS SELECT * FROM read_csv('{folder / 'ZZA_apc_202324_cost_lines.csv'}')")
    lines, rejected = con.execute("SELECT count(*) FROM t").fetchall()[0][0], 0
print(json.dumps({"seconds": time.perf_counter() - started, "lines": lines, "rejected": rejected,
                  "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024}))
"""

RECORDS = 200_000
CHUNK = 1_000_000


def write_files(folder: Path, gigabytes: float) -> int:
    (folder / "ics.toml").write_text(CONFIG)
    with (folder / "ZZA_apc_202324_activity.csv").open("w") as handle:
        handle.write("org_code,fin_year,period,record_id,spell_id,pod\n")
        handle.writelines(f"ZZA,2023/24,1,R{i},S{i},NEL\n" for i in range(RECORDS))
    rng = np.random.default_rng(1)
    drivers = ["ward", "theatre", "pathology", "imaging", "pharmacy"]
    target = gigabytes * 2**30
    path = folder / "ZZA_apc_202324_cost_lines.csv"
    with path.open("w") as handle:
        handle.write(
            "org_code,fin_year,period,record_id,cost_driver,cost_resource,cost,activity_count,activity_unit,location\n"
        )
        while handle.tell() < target:
            records = rng.integers(0, RECORDS, CHUNK).tolist()
            pence = rng.integers(1, 10_000_000, CHUNK).tolist()
            handle.writelines(
                f'ZZA,2023/24,1,R{r},{drivers[r % 5]},nursing,"£{p / 100:,.2f}",{r % 7},bed_days,WARD{r % 30}\n'
                for r, p in zip(records, pence, strict=True)
            )
    return path.stat().st_size


def run(folder: Path, mode: str) -> dict[str, float]:
    env = {**os.environ, "ICSBENCH_PSEUDONYM_KEY": "benchmark-key"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, str(folder), mode], check=True, capture_output=True, text=True, env=env
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--gigabytes", type=float, default=2.0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="icsbench-large-csv-") as tmp:
        folder = Path(tmp)
        size = write_files(folder, args.gigabytes)
        ours = run(folder, "icsbench")
        baseline = run(folder, "baseline")
    print(
        json.dumps(
            {
                "file_gib": round(size / 2**30, 2),
                "cost_lines": ours["lines"],
                "rejected": ours["rejected"],
                "load_s": round(ours["seconds"], 1),
                "lines_per_s": round(ours["lines"] / ours["seconds"]),
                "peak_rss_mb": ours["peak_rss_mb"],
                "baseline_s": round(baseline["seconds"], 1),
                "baseline_lines_per_s": round(baseline["lines"] / baseline["seconds"]),
                "ratio_to_baseline": round(ours["seconds"] / baseline["seconds"], 2),
            }
        )
    )


if __name__ == "__main__":
    main()
