"""Loads and refreshes killed at random moments (SIGKILL, no chance to tidy up), as a power cut or Task Manager would.

After every kill, before anything else runs: the published folder is exactly one refresh (engine.publish.files),
every file of a load is in the store whole or not at all, and once the store is next opened no log row says
`running` for the dead process. The kills are seeded, so a failure can be replayed; the seed is in every message.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import time
from collections.abc import Callable
from decimal import Decimal
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.parquet as pq
import pytest

from engine import config as config_module
from engine.publish import snapshots
from engine.store import open_store
from tests.engine.jobs.conftest import finished, icsbench, run_icsbench
from tests.engine.jobs.published_state import assert_exactly_one_refresh, current_manifest, leftovers

pytestmark = pytest.mark.slow

KILLS = 20
SEED = 20240518
LOADED_FILES = (  # a few files of each layout; a load of them takes a second or two
    "ZZA_apc_202324_Q1_activity.parquet",
    "ZZA_apc_202324_Q1_cost_lines.parquet",
    "ZZA_apc_202324_Q2_activity.parquet",
    "ZZA_apc_202324_Q2_cost_lines.parquet",
    "ZZB_op_202324_Q1_activity.parquet",
    "ZZB_op_202324_Q1_cost_lines.parquet",
    "ZZD_mh_202324_Q3_activity.parquet",
    "ZZD_mh_202324_Q3_cost_lines.parquet",
    "ZZE_op_202324_Q1_wide.parquet",
    "ZZE_op_202324_Q2_wide.parquet",
)


def _kill(process: subprocess.Popen[bytes]) -> bool:
    """SIGKILL the process; False if it had already finished."""
    if process.poll() is not None:
        return False
    os.kill(process.pid, signal.SIGKILL)
    finished(process)
    return True


def _running_rows(root: Path) -> tuple[int, int, int]:
    """Open the store for writing, as the next load or refresh would; then count the log rows still `running`,
    and the rows it marked `interrupted`."""
    config = config_module.load(root / "ics.toml")
    store = open_store(config)
    try:
        running = store.count("SELECT count(*) FROM refresh_log WHERE status = 'running'")
        running += store.count("SELECT count(*) FROM loads WHERE status = 'running'")
        return running, store.interrupted, store.count("SELECT count(*) FROM loads WHERE status = 'interrupted'")
    finally:
        store.close()


# --------------------------------------------------------------------------------------------------------- loads


def _version(source: Path, target: Path, factor: int) -> None:
    """A copy of an extract whose figures are `factor` times the original's: costs (and for activity, ages)."""
    table = pq.read_table(source)
    for i, name in enumerate(table.column_names):
        column = table.column(i)
        numeric = (
            pa.types.is_integer(column.type) or pa.types.is_floating(column.type) or pa.types.is_decimal(column.type)
        )
        if numeric and (name == "age" or "cost" in name.lower()):
            table = table.set_column(i, name, pc.cast(pc.multiply(column, factor), column.type))
    pq.write_table(table, target)


def _figures(root: Path, source: Path) -> tuple[object, ...]:
    """What the store holds for the provider, setting and periods of one extract: rows and summed figures."""
    table = pq.read_table(source)
    org = str(table.column("org_code")[0]) if "org_code" in table.column_names else source.name[:3]
    setting = source.name.split("_")[1]
    periods = sorted(set(table.column("period").to_pylist()))
    where = f"setting = '{setting}' AND org_code = '{org}' AND period IN ({', '.join(map(str, periods))})"
    config = config_module.load(root / "ics.toml")
    store = open_store(config, read_only=True)
    try:
        activity = store.con.execute(f"SELECT count(*), sum(age) FROM activity WHERE {where}").fetchall()[0]
        costs = store.con.execute(f"SELECT count(*), sum(cost) FROM cost_lines WHERE {where}").fetchall()[0]
    finally:
        store.close()
    layout = source.stem.rsplit("_", 1)[-1]
    return {"activity": activity, "lines": costs, "wide": (*activity, *costs)}[layout]


def test_loads_killed_at_random_moments_leave_every_file_whole_or_absent(tiny_ics: Path, tmp_path: Path) -> None:
    rng = random.Random(SEED)
    versions = {1: tmp_path / "x1", 2: tmp_path / "x2"}
    for factor, folder in versions.items():
        folder.mkdir()
        for name in LOADED_FILES:
            _version(tiny_ics / name, folder / name, factor)
    started = time.monotonic()
    assert run_icsbench(tiny_ics, "load", *(str(versions[2] / n) for n in LOADED_FILES))[0] == 0
    seconds = time.monotonic() - started
    # What each file's periods hold once that version of the file has loaded, whole.
    whole: dict[str, dict[int, tuple[object, ...]]] = {name: {} for name in LOADED_FILES}
    for name in LOADED_FILES:
        whole[name][2] = _figures(tiny_ics, versions[2] / name)
    assert run_icsbench(tiny_ics, "load", *(str(versions[1] / n) for n in LOADED_FILES))[0] == 0
    for name in LOADED_FILES:
        whole[name][1] = _figures(tiny_ics, versions[1] / name)
        assert whole[name][1] != whole[name][2], f"{name}: the two versions must differ to tell them apart"

    kills, interrupted = 0, 0
    for attempt in range(3 * KILLS):
        factor = 1 + attempt % 2
        delay = rng.uniform(0.0, seconds)
        process = icsbench(tiny_ics, "load", *(str(versions[factor] / n) for n in LOADED_FILES))
        time.sleep(delay)
        if not _kill(process):
            assert finished(process)[0] == 0
            continue
        kills += 1
        running, marked, _ = _running_rows(tiny_ics)
        assert running == 0, f"seed {SEED}, kill {kills}: a log row still says running"
        interrupted += marked
        for name in LOADED_FILES:
            held = _figures(tiny_ics, versions[factor] / name)
            assert held in (whole[name][1], whole[name][2]), f"seed {SEED}, kill {kills} at {delay:.2f}s: {name} half"
        if kills == KILLS:
            break
    assert kills == KILLS, f"seed {SEED}: only {kills} loads were still running when killed"
    assert interrupted >= 1, "no kill landed while a file was being loaded"
    config = config_module.load(tiny_ics / "ics.toml")
    store = open_store(config, read_only=True)
    try:
        [(marked,)] = store.con.execute("SELECT count(*) FROM loads WHERE status = 'interrupted'").fetchall()
        assert marked == interrupted
        [(message,)] = store.con.execute("SELECT any_value(message) FROM loads WHERE status = 'interrupted'").fetchall()
        assert "nothing from it is in the store; load it again" in message
    finally:
        store.close()
    assert run_icsbench(tiny_ics, "load", *(str(versions[2] / n) for n in LOADED_FILES))[0] == 0
    assert all(_figures(tiny_ics, versions[2] / n) == whole[n][2] for n in LOADED_FILES)


# ------------------------------------------------------------------------------------------------------ refreshes


def _kill_when(process: subprocess.Popen[bytes], seen: Callable[[], bool], then: float) -> bool:
    """Kill `then` seconds after `seen()` first holds (looked at every few milliseconds); False if the process ended
    first."""
    while process.poll() is None:
        if seen():
            time.sleep(then)
            return _kill(process)
        time.sleep(0.003)
    return False


def test_refreshes_killed_at_random_moments_leave_exactly_one_refresh_published(tiny_ics: Path) -> None:
    rng = random.Random(SEED)
    published = tiny_ics / "published"
    first = int(snapshots.read_pointer(published)["refresh_id"])  # type: ignore[index]  # a copy: paths differ
    started = time.monotonic()
    assert run_icsbench(tiny_ics, "refresh", "--full")[0] == 0
    seconds = time.monotonic() - started
    before = assert_exactly_one_refresh(published)
    assert before > first

    kills: list[str] = []
    for _ in range(3 * KILLS):
        moment = rng.choice(("any moment", "while the refresh folder is written", "just after the switch"))
        manifest = current_manifest(published)
        process = icsbench(tiny_ics, "refresh", "--full")  # every time a whole refresh to kill
        if moment == "any moment":
            time.sleep(rng.uniform(0.0, seconds))
            killed = _kill(process)
        elif moment == "while the refresh folder is written":
            killed = _kill_when(process, lambda: bool(leftovers(published)), rng.uniform(0.0, 0.3))
        else:
            killed = _kill_when(process, lambda m=manifest: current_manifest(published) != m, rng.uniform(0.0, 0.05))
        if not killed:
            code, output = finished(process)
            assert code == 0, output
            continue
        kills.append(moment)
        where = f"seed {SEED}, kill {len(kills)} ({moment})"
        now = assert_exactly_one_refresh(published)
        assert now >= before, where
        running, _, _ = _running_rows(tiny_ics)
        assert running == 0, f"{where}: a refresh log row still says running"
        before = now
        if len(kills) == KILLS:
            break
    assert len(kills) == KILLS, f"seed {SEED}: only {len(kills)} refreshes were still running when killed"
    assert {"while the refresh folder is written", "just after the switch"} <= set(kills)

    assert run_icsbench(tiny_ics, "refresh", "--full")[0] == 0
    last = assert_exactly_one_refresh(published)
    assert leftovers(published) == [], "the next refresh removes what the killed ones left"
    refresh_folders = [p for p in published.iterdir() if p.name.startswith("refresh-")]
    assert len(refresh_folders) <= 3
    config = config_module.load(tiny_ics / "ics.toml")
    store = open_store(config, read_only=True)
    try:
        statuses = dict(store.con.execute("SELECT status, count(*) FROM refresh_log GROUP BY status").fetchall())
        [(status,)] = store.con.execute(
            "SELECT status FROM refresh_log WHERE refresh_id = $id", {"id": last}
        ).fetchall()
        cost = store.scalar("SELECT sum(cost) FROM cost_lines")
    finally:
        store.close()
    assert status == "succeeded" and "running" not in statuses
    assert statuses.get("interrupted", 0) >= 1
    manifest = snapshots.read_pointer(published)
    assert manifest is not None and Decimal(manifest["cost_reconciled"]) == Decimal(cost)
