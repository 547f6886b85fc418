"""Ingest speed and memory: cost lines per second from Parquet and CSV, and peak RSS, over a growth curve of scales.

Each measurement runs in a fresh Python process (so its peak RSS is its own) that loads a synthetic ICS made by
`icsbench synth` into a new store. The baseline, in the same run and on the same files, is DuckDB copying the cost-line
files into a table with no mapping, validation or pseudonymisation: the physical yardstick. The ratio says what the
checks cost.

    .venv/bin/python benchmarks/ingest.py                       # scales 0.02, 0.1, 0.3; Parquet and CSV
    .venv/bin/python benchmarks/ingest.py --scales 1.0 --formats parquet

Targets on 2 cores (issue 21), printed beside each figure with the ratio measured / target: >= 1M cost lines/s from
Parquet, >= 300k/s from CSV, every check kept; peak RSS < 2 GB at any scale.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

TARGET_LINES_PER_S = {"parquet": 1_000_000, "csv": 300_000}
TARGET_RSS_MB = 2 * 1024

CHILD = r"""
import json, os, resource, sys, time
from pathlib import Path
mode, folder, store = sys.argv[1], Path(sys.argv[2]), sys.argv[3]
started = time.perf_counter()
if mode == "icsbench":
    from engine import config as config_module
    from engine import jobs
    config = config_module.load(folder / "ics.toml")
    config = config.model_copy(update={"store": config.store.model_copy(update={"path": store})})
    files = sorted(p for p in folder.iterdir() if p.suffix in (".parquet", ".csv") and p.name != "control_totals.csv")
    results = jobs.load(config, files).results  # what `icsbench load` runs: the files, data quality, the snapshot
    lines = sum(r.rows_loaded for r in results if r.layout in ("cost_lines",))
    failed = [r.file for r in results if r.status == "failed"]
    rejected = sum(r.rows_rejected for r in results)
else:
    import duckdb
    con = duckdb.connect(store)
    pattern = str(folder / ("*_cost_lines." + mode))
    reader = "read_parquet" if mode == "parquet" else "read_csv"
    con.execute(f"CREATE TABLE cost_lines AS SELECT * FROM {reader}('{pattern}')")
    lines = con.execute("SELECT count(*) FROM cost_lines").fetchall()[0][0]
    con.close()
    failed, rejected = [], 0
seconds = time.perf_counter() - started
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
print(json.dumps({"seconds": seconds, "cost_lines": lines, "peak_rss": peak, "failed": failed, "rejected": rejected}))
"""


def _run(mode: str, folder: Path, store: Path) -> dict[str, float]:
    env = {**os.environ, "ICSBENCH_PSEUDONYM_KEY": "benchmark-key"}
    done = subprocess.run(
        [sys.executable, "-c", CHILD, mode, str(folder), str(store)],
        check=True,
        capture_output=True,
        text=True,
        env=env,
    )
    result: dict[str, float] = json.loads(done.stdout.strip().splitlines()[-1])
    store.unlink(missing_ok=True)
    shutil.rmtree(store.with_name(f"{store.stem}-snapshots"), ignore_errors=True)
    return result


def _generate(folder: Path, scale: float, file_format: str) -> float:
    from engine import synth

    started = time.perf_counter()
    synth.generate(folder, scale=scale, seed=7, file_format=file_format)  # type: ignore[arg-type]
    return time.perf_counter() - started


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="0.02,0.1,0.3")
    parser.add_argument("--formats", default="parquet,csv")
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures to this JSON file.")
    args = parser.parse_args()
    rows = []
    with tempfile.TemporaryDirectory(prefix="icsbench-ingest-") as tmp:
        for file_format in args.formats.split(","):
            for scale in (float(s) for s in args.scales.split(",")):
                folder = Path(tmp) / f"{file_format}-{scale}"
                generate_seconds = _generate(folder, scale, file_format)
                ours = _run("icsbench", folder, Path(tmp) / "ours.duckdb")
                baseline = _run(file_format, folder, Path(tmp) / "baseline.duckdb")
                row = {
                    "format": file_format,
                    "scale": scale,
                    "cost_lines": ours["cost_lines"],
                    "generate_s": round(generate_seconds, 1),
                    "ingest_s": round(ours["seconds"], 2),
                    "lines_per_s": round(ours["cost_lines"] / ours["seconds"]),
                    "peak_rss_mb": round(ours["peak_rss"] / 2**20),
                    "baseline_s": round(baseline["seconds"], 2),
                    "baseline_lines_per_s": round(baseline["cost_lines"] / baseline["seconds"]),
                    "ratio_to_baseline": round(ours["seconds"] / baseline["seconds"], 2),
                    "failed_files": len(ours["failed"]),
                    "rejected_rows": ours["rejected"],
                }
                rows.append(row)
                print(json.dumps(row), flush=True)
                for path in folder.iterdir():
                    path.unlink()
                folder.rmdir()
    header = (
        "format",
        "scale",
        "cost_lines",
        "ingest_s",
        "lines_per_s",
        "peak_rss_mb",
        "baseline_lines_per_s",
        "ratio_to_baseline",
    )
    print("\n" + " | ".join(header))
    for row in rows:
        print(" | ".join(f"{row[h]:,}" if isinstance(row[h], int) else str(row[h]) for h in header))
    print("\ntargets: measured, target, measured / target (higher is better for speed)")
    for row in rows:
        target = TARGET_LINES_PER_S[str(row["format"])]
        speed, peak = int(row["lines_per_s"]), int(row["peak_rss_mb"])
        print(
            f"{row['format']} {row['scale']}: {speed:,} lines/s against {target:,} -> {speed / target:.2f} "
            f"{'PASS' if speed >= target else 'MISS'}; peak RSS {peak:,} MB against {TARGET_RSS_MB:,} "
            f"-> {peak / TARGET_RSS_MB:.2f} {'PASS' if peak < TARGET_RSS_MB else 'MISS'}"
        )
    if args.json:
        args.json.write_text(json.dumps(rows, indent=2))


if __name__ == "__main__":
    main()
