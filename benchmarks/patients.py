"""The patient view's speed and memory: linking every record by pseudonym and building the patient tables.

For each scale it reuses (or makes and loads) the synthetic ICS store that benchmarks/refresh.py uses, then, in a
fresh Python process on a copy of that store:

* runs the refresh exactly as `icsbench refresh` does and takes each table's build time from the refresh's own
  timings: the patient view is the record-to-patient link (patient_events), long-term conditions, patient_cost,
  resident_activity, patient_setting_cost, pathway_events and the six published tables built on them;
  event_costs (each record's cost, which every table shares) is reported apart;
* the baseline, in the same process on the same store: the bare link, one GROUP BY of every activity record and its
  cost lines by patient pseudonym (what any patient-level view must at least do), so the ratio says how much the
  patient view costs over the unavoidable work;
* peak RSS of the process (psutil sampling plus the kernel's high-water mark).

    .venv/bin/python benchmarks/patients.py                          # scale 1.0
    .venv/bin/python benchmarks/patients.py --scales 0.1,1.0 --work /tmp/rbench --json out.json

Target on 2 cores at scale 1.0: linking and all the patient tables in under 30 s. The script is a report: it always
exits 0.
"""

from __future__ import annotations

import argparse
import json
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from refresh import MB, PeakRss, prepare_store

PATIENT_VIEW = (
    "patient_events",
    "patient_conditions",
    "patient_cost",
    "resident_activity",
    "patient_setting_cost",
    "pathway_events",
    "linkage_quality",
    "high_use_patients",
    "pathway_cost",
    "gp_practice_cost",
    "deprivation_cost",
    "population_rates",
)
SHARED = "event_costs"
TARGET_SECONDS = 30.0
BARE_LINK = """
CREATE OR REPLACE TEMP TABLE bare_link AS
WITH record_cost AS (
    SELECT setting, org_code, record_id, sum(cost) AS cost FROM cost_lines GROUP BY setting, org_code, record_id
)
SELECT a.patient_id, count(*) AS records, sum(r.cost) AS cost
FROM activity AS a
JOIN record_cost AS r ON r.setting = a.setting AND r.org_code = a.org_code AND r.record_id = a.record_id
WHERE a.patient_id IS NOT NULL
GROUP BY a.patient_id
"""


def _child(config_path: Path) -> dict[str, Any]:
    """Refresh a copy of the store and time the bare link; runs in its own process."""
    from engine import config as config_module
    from engine.jobs import refresh_store
    from engine.store import open_store

    config = config_module.load(config_path)
    rss = PeakRss().start()
    store = open_store(config)
    try:
        started = time.perf_counter()
        result = refresh_store(store, config_file=config_path)
        refresh_seconds = time.perf_counter() - started
        refresh_rss = rss.boundary()
        started = time.perf_counter()
        store.con.execute(BARE_LINK)
        bare_seconds = time.perf_counter() - started
        bare_rss = rss.boundary()
        patients, records = store.con.execute("SELECT count(*), sum(records) FROM bare_link").fetchall()[0]
        rows = {t.name: t.rows for t in result.tables}
    finally:
        store.close()
        rss.stop()
    seconds = {t.name: t.seconds for t in result.tables}
    return {
        "refresh_seconds": refresh_seconds,
        "table_seconds": seconds,
        "table_rows": rows,
        "patient_view_seconds": sum(seconds[name] for name in PATIENT_VIEW),
        "shared_seconds": seconds[SHARED],
        "bare_link_seconds": bare_seconds,
        "patients": int(patients),
        "linked_records": int(records),
        "refresh_peak_rss_mb": refresh_rss / MB,
        "bare_link_peak_rss_mb": bare_rss / MB,
    }


def measure(config_path: Path) -> dict[str, Any]:
    """Run the child on a copy of the store, so the benchmark never changes the store it reuses."""
    with tempfile.TemporaryDirectory(prefix="icsbench-patients-") as folder:
        copy = Path(folder)
        for name in ("ics.toml", "icsbench.duckdb", "gp_list_sizes.csv"):
            if (config_path.parent / name).exists():
                shutil.copy2(config_path.parent / name, copy / name)
        done = subprocess.run(
            [sys.executable, __file__, "--child", str(copy / "ics.toml")],
            capture_output=True,
            text=True,
            check=False,
        )
        if done.returncode != 0:
            return {"error": done.stderr.strip().splitlines()[-1] if done.stderr.strip() else "failed"}
        measured: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
        return measured


def report(scale: float, m: dict[str, Any]) -> None:
    if "error" in m:
        print(f"scale {scale:g}: the refresh failed: {m['error']}")
        return
    view, bare, shared = m["patient_view_seconds"], m["bare_link_seconds"], m["shared_seconds"]
    print(f"\nscale {scale:g}: {m['patients']:,} linked patients, {m['linked_records']:,} linked records")
    print(f"{'table':<22}{'rows':>12}{'seconds':>10}")
    for name in PATIENT_VIEW:
        print(f"{name:<22}{m['table_rows'][name]:>12,}{m['table_seconds'][name]:>10.2f}")
    verdict = "meets" if view < TARGET_SECONDS else "MISSES"
    print(f"patient view (linking and every patient table): {view:.1f} s: {verdict} the {TARGET_SECONDS:.0f} s target")
    print(f"  each record's cost (event_costs, built once for every table of the refresh): {shared:.1f} s more")
    print(f"  whole refresh: {m['refresh_seconds']:.1f} s")
    print(f"baseline (a bare link of every record to its patient): {bare:.2f} s")
    print(f"patient view / baseline: {view / bare:.1f}x")
    print(f"peak RSS: refresh {m['refresh_peak_rss_mb']:,.0f} MB, bare link {m['bare_link_peak_rss_mb']:,.0f} MB")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scales", default="1.0", help="comma-separated synthetic ICS scales (default 1.0)")
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) / "icsbench-refresh-bench")
    parser.add_argument("--json", type=Path, help="also write the figures to this file")
    parser.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(_child(args.child)))
        return
    results = {}
    for scale in (float(s) for s in args.scales.split(",")):
        config_path, _ = prepare_store(args.work, scale)
        results[f"{scale:g}"] = measured = measure(config_path)
        report(scale, measured)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))


if __name__ == "__main__":
    main()
