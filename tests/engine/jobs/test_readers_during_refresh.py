"""Many readers at once (Excel processes, `icsbench status`, `quality` and `export`) while loads and refreshes run:
no refresh or load fails because of them, no reader fails because of a refresh or load, and every reader sees one
refresh whole, never tables of two."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from tests.engine.jobs.conftest import finished, icsbench, run_icsbench

pytestmark = pytest.mark.slow

REFRESHES = 6
EXCEL_PROCESSES = 3

# An Excel process: one long-lived cache of published tables, as the add-in keeps, asked again and again. Every table
# it holds at a time must carry the refresh id the cache says it holds.
EXCEL = r"""
import json, sys, time
from pathlib import Path
from engine import config as config_module
from engine.metrics import catalog
from engine.publish import published_results
from addin.results import ResultsCache

root, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
config = config_module.load(root / "ics.toml")
cache = ResultsCache(lambda: config, recheck_seconds=0)
calls, failures, seen = 0, [], set()
names = [m.name for m in catalog.published()]
while not stop.exists():
    for name in names:
        try:
            table = cache.table(name)
            info = published_results.refresh_info(config)
            held = cache.refresh_id
            ids = set(table.column("refresh_id"))
            calls += 1
            if not ids <= {held}:
                failures.append(f"{name}: rows of refresh {sorted(ids)} in a cache holding refresh {held}")
            seen.add(held)
            if info.refresh_id < held:
                failures.append(f"refresh info {info.refresh_id} older than the tables' {held}")
        except Exception as exc:
            failures.append(f"{name}: {type(exc).__name__}: {exc}")
out.write_text(json.dumps({"calls": calls, "failures": failures, "seen": sorted(seen)}))
"""

# Someone running status, quality and export (suppressed and not) from the command line, over and over.
COMMANDS = r"""
import csv, json, re, subprocess, sys
from pathlib import Path

root, stop, out = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
config = str(root / "ics.toml")
calls, failures, seen = 0, [], set()
commands = [
    ["status"],
    ["quality"],
    ["export", "system_cost", "--out", str(out.with_suffix(".csv"))],
    ["export", "provider_overview", "--out", str(out.with_suffix(".full.csv")), "--unsuppressed"],
]
while not stop.exists():
    for args in commands:
        command = [sys.executable, "-m", "engine.cli", *args, "--config", config]
        done = subprocess.run(command, capture_output=True, text=True)
        calls += 1
        said = done.stdout + done.stderr
        if done.returncode != 0 or "Traceback" in said:
            failures.append(f"{' '.join(args)}: exit {done.returncode}: {said[-500:]}")
            continue
        if args[0] == "export":
            refresh = int(re.search(r"\(refresh (\d+)\)", said).group(1))
            with Path(args[3]).open(encoding="utf-8") as handle:
                ids = {int(row["refresh_id"]) for row in csv.DictReader(handle)}
            if ids != {refresh}:
                failures.append(f"{' '.join(args)}: file holds refresh {sorted(ids)}, said {refresh}")
            seen.add(refresh)
out.write_text(json.dumps({"calls": calls, "failures": failures, "seen": sorted(seen)}))
"""


def _reader(script: str, root: Path, stop: Path, out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-c", script, str(root), str(stop), str(out)])


def test_readers_never_fail_a_refresh_and_never_see_two(tiny_ics: Path, tmp_path: Path, monkeypatch: Any) -> None:
    assert run_icsbench(tiny_ics, "refresh")[0] == 0  # a copy: publish once from where it now is
    stop = tmp_path / "stop"
    outs = [tmp_path / f"excel-{i}.json" for i in range(EXCEL_PROCESSES)] + [tmp_path / "commands.json"]
    readers = [_reader(EXCEL, tiny_ics, stop, out) for out in outs[:-1]]
    readers.append(_reader(COMMANDS, tiny_ics, stop, outs[-1]))
    time.sleep(3)  # the readers are up and reading
    extract = sorted(tiny_ics.glob("ZZA_apc_*_Q1_*.parquet"))
    for n in range(REFRESHES):
        if n % 3 == 1:  # a load too: readers must not hold it up either
            code, output = finished(icsbench(tiny_ics, "load", *map(str, extract)))
            assert code == 0, output
        code, output = run_icsbench(tiny_ics, "refresh", "--full")  # a whole refresh each time, loaded or not
        assert code == 0, f"refresh {n + 1} of {REFRESHES} failed while readers ran: {output}"
    stop.touch()
    for reader in readers:
        assert reader.wait(timeout=120) == 0
    reports = [json.loads(out.read_text()) for out in outs]
    for out, report in zip(outs, reports, strict=True):
        assert report["failures"] == [], (out.name, report["failures"][:5])
        assert report["calls"] > 0, out.name
    assert all(len(r["seen"]) >= 2 for r in reports[:-1]), "each Excel process saw new refreshes as they landed"
