"""ICS SQL Server paths: bulk write and read throughput, push, and a full refresh pulled or pushed down.

No SQL Server runs here, so the server is a throwaway local PostgreSQL reached through psqlODBC, the tests' stand-in
(tests/postgres_server.py): the same ODBC code paths (pyodbc statements, arrow-odbc bulk reads and writes) with
another database behind them. It needs the Debian packages `postgresql odbc-postgresql unixodbc`. The ICS is the
tests' synthetic one (tests/conftest.py `build_synthetic_ics`, seed 42), built once per scale into a cache folder
and copied for each run, so the cached store never changes. In one process, with its peak RSS after each phase:

1. write: cost lines from the store written in bulk to a staging table (`Server.write_arrow`, arrow-odbc) over 1,
   2 and 4 connections; the baseline is pyodbc `executemany` with `fast_executemany` on the same rows (turning them
   into Python tuples is timed apart and left out). Aim: >= 100k rows/s for bulk loads;
2. push: `canonical.push` of the whole store to an empty server (`icsbench db load`'s push);
3. read: `Server.read_arrow` of ics_canonical.cost_lines (arrow-odbc, as a pull refresh reads it) against pyodbc
   `fetchall` of the same query;
4. refresh: `refresh_with_server` with compute = pull, then push_down, on the same store, with the rows that cross
   the network each way (pull: canonical rows read + published rows written; push_down: full result rows read
   back + published rows written).

    .venv/bin/python benchmarks/server.py                     # scale 0.1 (about 5 minutes on 2 cores)
    .venv/bin/python benchmarks/server.py --scale 0.01        # a quick check (under 2 minutes)
    .venv/bin/python benchmarks/server.py --scale 0.1 --write-rows 1000000 --json out.json

PostgreSQL runs on the same machine and shares its cores, so the figures are a floor for a real server on its own
hardware, and they say nothing about SQL Server's own speed. The script is a report: it exits 0 when it ran.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:  # tests/ and benchmarks/ are imported from the checkout
    sys.path.insert(0, str(ROOT))

from benchmarks.refresh import MARKER, MB, PeakRss, _reusable, _sha256, _table  # noqa: E402

SEED = 42
WORKERS = (1, 2, 4)
WRITE_TARGET = 100_000  # rows/s for bulk loads
BASELINE_CHUNK_ROWS = 20_000  # rows per pyodbc executemany call, as Server.write_arrow sends them (bounds memory)
WRITE_TABLE = ("ics_staging", "canonical_cost_lines")
READ_TABLE = ("ics_canonical", "cost_lines")
T = TypeVar("T")


# --- the synthetic ICS: built once per scale, reused while its manifest matches ---------------------------------


def _wanted(scale: float) -> dict[str, Any]:
    from engine.synth import GENERATOR_VERSION

    return {"scale": scale, "seed": SEED, "generator": GENERATOR_VERSION, "built_by": "tests.conftest"}


def prepare_ics(folder: Path, scale: float) -> Path:
    """The ics.toml of a loaded, refreshed synthetic ICS in `folder`: reused when its manifest matches, else built."""
    from tests.conftest import build_synthetic_ics

    wanted = _wanted(scale)
    if _reusable(folder, wanted) and (folder / "icsbench.duckdb").exists():
        saved = json.loads((folder / MARKER).read_text())
        print(f"scale {scale:g}: reusing the store in {folder} (built {saved['built_at']})", flush=True)
        return folder / "ics.toml"
    if folder.exists():
        shutil.rmtree(folder)
    started = time.perf_counter()
    result, _config = build_synthetic_ics(folder, scale=scale, seed=SEED)
    seconds = time.perf_counter() - started
    saved = {
        "wanted": wanted,
        "manifest_sha256": _sha256(result.manifest_path),
        "built_at": time.strftime("%Y-%m-%d %H:%M"),
        "build_seconds": round(seconds, 1),
    }
    (folder / MARKER).write_text(json.dumps(saved, indent=2))
    print(f"scale {scale:g}: generated, loaded and refreshed in {seconds:.1f} s ({folder})", flush=True)
    return Path(result.config_path)


def run_config(cached: Path, run: Path, server_section: str) -> Path:
    """A config in `run`: the cached ICS's ics.toml plus the [server] section, with a copy of its store."""
    from engine import config as config_module

    path = run / "ics.toml"
    path.write_text(cached.read_text(encoding="utf-8") + "\n" + server_section, encoding="utf-8")
    source = config_module.load(cached).store_path
    target = config_module.load(path).store_path
    shutil.copyfile(source, target)
    wal = source.with_name(source.name + ".wal")
    if wal.exists():
        shutil.copyfile(wal, target.with_name(target.name + ".wal"))
    return path


# --- measuring ---------------------------------------------------------------------------------------------------


class Phases:
    """Wall time and peak RSS per phase (the psutil sampler and the kernel's high-water mark of benchmarks/refresh)."""

    def __init__(self) -> None:
        self.rss = PeakRss().start()
        self.rss.boundary()
        self.rows: list[tuple[str, float, int]] = []
        self.peak = 0

    def run(self, label: str, work: Callable[[], T]) -> tuple[T, float]:
        print(f"  {label} ...", end="", flush=True)
        self.rss.boundary()
        started = time.perf_counter()
        out = work()
        seconds = time.perf_counter() - started
        peak = self.rss.boundary()
        self.peak = max(self.peak, peak)
        self.rows.append((label, seconds, peak))
        print(f" {seconds:.2f} s, peak RSS {peak / MB:,.0f} MB", flush=True)
        return out, seconds


def _rate(rows: int, seconds: float) -> int:
    return round(rows / seconds) if seconds > 0 else 0


def _ratio(ours: float, baseline: float) -> str:
    return f"{ours / baseline:.2f}x" if baseline > 0 else "-"


def measure_writes(phases: Phases, store: Any, server: Any, section: Any, rows_wanted: int) -> dict[str, Any]:
    """Bulk writes of the same cost lines into a staging table: arrow-odbc over 1, 2, 4 connections, then pyodbc."""
    import pyodbc

    from engine.store.server import Server
    from engine.store.server.connection import connection_string

    target = server.dialect.quote(*WRITE_TABLE)
    rows, _ = phases.run(
        "read cost lines from the store",
        lambda: store.con.sql(f"SELECT * FROM cost_lines LIMIT {rows_wanted}").to_arrow_table(),
    )

    def arrived(label: str) -> None:
        count = int(server.scalar(f"SELECT count(*) FROM {target}"))
        server.execute(f"TRUNCATE TABLE {target}")
        if count != rows.num_rows:
            raise RuntimeError(f"{label}: wrote {rows.num_rows:,} rows, {count:,} arrived")

    writes: dict[str, dict[str, Any]] = {}
    server.execute(f"TRUNCATE TABLE {target}")
    for workers in WORKERS:
        with Server(section, write_workers=workers) as writer:
            label = f"arrow-odbc write_arrow, {workers} worker(s)"
            _, seconds = phases.run(label, lambda w=writer: w.write_arrow(WRITE_TABLE, rows))
        arrived(label)
        writes[label] = {"rows": rows.num_rows, "seconds": seconds}
    tuples, convert_s = phases.run(
        "Arrow to Python tuples (for pyodbc, not timed)",
        lambda: list(zip(*(column.to_pylist() for column in rows.columns), strict=True)),
    )
    columns = ", ".join(server.dialect.quote(c) for c in rows.column_names)
    insert = f"INSERT INTO {target} ({columns}) VALUES ({', '.join('?' * rows.num_columns)})"
    sizes = _input_sizes(rows)

    def executemany() -> None:
        con = pyodbc.connect(connection_string(section))
        try:
            cursor = con.cursor()
            cursor.fast_executemany = True
            cursor.setinputsizes(sizes)
            for start in range(0, len(tuples), BASELINE_CHUNK_ROWS):
                cursor.executemany(insert, tuples[start : start + BASELINE_CHUNK_ROWS])
            con.commit()
        finally:
            con.close()

    label = "pyodbc executemany (baseline)"
    _, seconds = phases.run(label, executemany)
    arrived(label)
    writes[label] = {"rows": rows.num_rows, "seconds": seconds}
    return {"paths": writes, "convert_to_tuples_s": convert_s}


def _input_sizes(rows: Any) -> list[tuple[int, int, int]]:
    """pyodbc's parameter types for these columns. Without them psqlODBC describes text as 2 GB wide and
    fast_executemany tries to allocate that for every row (MemoryError); with them, text is as wide as its longest
    value, as a careful pyodbc user would set it."""
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyodbc

    sizes = []
    for field, column in zip(rows.schema, rows.columns, strict=True):
        kind = field.type
        if pa.types.is_string(kind) or pa.types.is_large_string(kind):
            sizes.append((pyodbc.SQL_WVARCHAR, max(1, int(pc.max(pc.utf8_length(column)).as_py() or 0)), 0))
        elif pa.types.is_decimal(kind):
            sizes.append((pyodbc.SQL_DECIMAL, kind.precision, kind.scale))
        elif pa.types.is_int64(kind):
            sizes.append((pyodbc.SQL_BIGINT, 0, 0))
        elif pa.types.is_integer(kind):
            sizes.append((pyodbc.SQL_INTEGER, 0, 0))
        elif pa.types.is_floating(kind):
            sizes.append((pyodbc.SQL_DOUBLE, 0, 0))
        elif pa.types.is_date(kind):
            sizes.append((pyodbc.SQL_TYPE_DATE, 0, 0))
        else:
            raise TypeError(f"no pyodbc parameter type for {field.name} ({kind})")
    return sizes


def measure_push(phases: Phases, store: Any, server: Any) -> dict[str, Any]:
    from engine.store.server import canonical, lock

    def push() -> Any:
        with lock.exclusive(server, "benchmark"):
            return canonical.push(store, server)

    pushed, seconds = phases.run("canonical.push", push)
    return {
        "seconds": seconds,
        "rows": pushed.rows_written,
        "periods": pushed.periods_replaced,
        "cost_on_server": str(pushed.cost_on_server),
    }


def measure_reads(phases: Phases, server: Any, section: Any, rows_wanted: int) -> dict[str, Any]:
    """The same query read through arrow-odbc (Server.read_arrow, as a pull does) and through pyodbc fetchall."""
    import pyodbc

    from engine.store.server import layout
    from engine.store.server.connection import connection_string

    columns = layout.shapes().store["cost_lines"]
    select = ", ".join(server.dialect.quote(c.name) for c in columns)
    query = f"SELECT {select} FROM {server.dialect.quote(*READ_TABLE)} LIMIT {rows_wanted}"
    schema = layout.arrow_schema(columns)
    read, arrow_s = phases.run("arrow-odbc read_arrow", lambda: server.read_arrow(query, schema).num_rows)

    def fetchall() -> int:
        con = pyodbc.connect(connection_string(section), autocommit=True)
        try:
            return len(con.cursor().execute(query).fetchall())
        finally:
            con.close()

    fetched, pyodbc_s = phases.run("pyodbc fetchall (baseline)", fetchall)
    if fetched != read:
        raise RuntimeError(f"arrow-odbc read {read:,} rows, pyodbc {fetched:,}")
    return {
        "arrow-odbc read_arrow": {"rows": read, "seconds": arrow_s},
        "pyodbc fetchall (baseline)": {"rows": fetched, "seconds": pyodbc_s},
    }


def measure_refreshes(phases: Phases, store: Any, server: Any, config_path: Path) -> dict[str, Any]:
    """refresh_with_server pulled, then pushed down, on the same store; the rows that crossed the network."""
    from engine.jobs import refresh_with_server
    from engine.metrics import catalog

    published = {m.name for m in catalog.published()}
    refreshes: dict[str, dict[str, Any]] = {}
    for compute in ("pull", "push_down"):
        done, seconds = phases.run(
            f"refresh, compute = {compute}",
            lambda c=compute: refresh_with_server(store, server, compute=c, config_file=config_path),
        )
        # pull reads the canonical tables; push_down reads back the published metrics' full results
        read = (
            done.server.rows_pulled
            if compute == "pull"
            else sum(t.rows for t in done.result.tables if t.name in published)
        )
        refreshes[compute] = {
            "seconds": seconds,
            "rows_read": read,
            "rows_published": done.server.published.rows,
            "rows_moved": read + done.server.published.rows,
            "publish_writing_s": done.server.published.seconds_writing,
            "publish_swapping_s": done.server.published.seconds_swapping,
            "refresh_s": done.result.seconds,
            "slowest_tables": [(t.name, t.seconds) for t in sorted(done.result.tables, key=lambda t: -t.seconds)[:3]],
        }
    return refreshes


def measure(config_path: Path, args: argparse.Namespace) -> dict[str, Any]:
    from engine import config as config_module
    from engine.store import open_store
    from engine.store.server import Server, database

    config = config_module.load(config_path)
    assert config.server is not None
    phases = Phases()
    out: dict[str, Any] = {"scale": args.scale}
    store = open_store(config)
    try:
        with Server(config.server) as server:
            out["postgres"] = server.scalar("SELECT current_setting('server_version')")
            out["store"] = {n: int(store.scalar(f"SELECT count(*) FROM {n}")) for n in ("activity", "cost_lines")}
            phases.run("db init", lambda: database.init(server))
            out["write"] = measure_writes(phases, store, server, config.server, args.write_rows)
            out["push"] = measure_push(phases, store, server)
            out["read"] = measure_reads(phases, server, config.server, args.read_rows)
            out["refresh"] = measure_refreshes(phases, store, server, config_path)
    finally:
        store.close()
        phases.rss.stop()
    out["phases"] = [{"phase": label, "seconds": s, "peak_rss": peak} for label, s, peak in phases.rows]
    out["peak_rss"] = phases.peak
    out["kernel_peak"] = phases.rss.kernel
    return out


# --- report ------------------------------------------------------------------------------------------------------


def _throughput(figures: dict[str, dict[str, Any]], baseline: str) -> list[tuple[Any, ...]]:
    base = figures[baseline]["rows"] / figures[baseline]["seconds"]
    return [
        (
            label,
            f["rows"],
            f"{f['seconds']:.2f}",
            _rate(f["rows"], f["seconds"]),
            _ratio(f["rows"] / f["seconds"], base),
        )
        for label, f in figures.items()
    ]


def report(m: dict[str, Any]) -> None:
    store = m["store"]
    print(f"\n== ICS SQL Server (PostgreSQL {m.get('postgres', '')} through psqlODBC), scale {m['scale']:g}: ", end="")
    print(f"{store['activity']:,} activity records, {store['cost_lines']:,} cost lines")

    writes = m["write"]["paths"]
    print(f"\n1. Bulk write of cost lines into {'.'.join(WRITE_TABLE)} (empty, no index)")
    print(
        _table(
            ("write path", "rows", "seconds", "rows/s", "vs pyodbc"),
            _throughput(writes, "pyodbc executemany (baseline)"),
        )
    )
    best = max(_rate(w["rows"], w["seconds"]) for label, w in writes.items() if label.startswith("arrow"))
    verdict = "MET" if best >= WRITE_TARGET else "NOT MET"
    print(f"Aim >= {WRITE_TARGET:,} rows/s for bulk loads: {verdict} (best arrow-odbc: {best:,} rows/s)")
    print(f"(making the Python tuples pyodbc needs took another {m['write']['convert_to_tuples_s']:.2f} s)")

    print(f"\n2. Bulk read of {'.'.join(READ_TABLE)}")
    print(
        _table(
            ("read path", "rows", "seconds", "rows/s", "vs pyodbc"),
            _throughput(m["read"], "pyodbc fetchall (baseline)"),
        )
    )

    push = m["push"]
    print("\n3. canonical.push of the whole store to an empty server (write_workers = 2, the default)")
    row = (
        "canonical.push",
        push["periods"],
        push["rows"],
        f"{push['seconds']:.2f}",
        _rate(push["rows"], push["seconds"]),
    )
    print(_table(("push", "periods", "rows written", "seconds", "rows/s"), [row]))

    pull, down = m["refresh"]["pull"], m["refresh"]["push_down"]
    rows: list[tuple[Any, ...]] = [
        (
            compute,
            f"{r['seconds']:.2f}",
            r["rows_read"],
            r["rows_published"],
            r["rows_moved"],
            f"{r['refresh_s']:.2f}",
            f"{r['publish_writing_s'] + r['publish_swapping_s']:.2f}",
        )
        for compute, r in m["refresh"].items()
    ]
    rows.append(
        (
            "push_down / pull",
            _ratio(down["seconds"], pull["seconds"]),
            "",
            "",
            _ratio(down["rows_moved"], pull["rows_moved"]),
            _ratio(down["refresh_s"], pull["refresh_s"]),
            "",
        )
    )
    print("\n4. Full refresh with the server (refresh_with_server), the same store both ways")
    header = ("compute", "wall s", "rows read", "rows published", "rows moved", "refresh s", "publish s")
    print(_table(header, rows))
    print("(refresh s: the metrics, reconciliation and local publish; the rest of pull's wall time is reading the")
    print(" canonical tables from the server)")
    for compute, r in m["refresh"].items():
        slowest = ", ".join(f"{name} {s:.2f} s" for name, s in r["slowest_tables"])
        print(f"slowest tables ({compute}): {slowest}")
    if pull["rows_published"] != down["rows_published"]:
        print("WARNING: pull and push_down published different numbers of rows")

    print("\n5. Peak RSS of this process per phase" + ("" if m["kernel_peak"] else " (psutil samples only)"))
    phases = [(p["phase"], f"{p['seconds']:.2f}", round(p["peak_rss"] / MB)) for p in m["phases"]]
    print(_table(("phase", "seconds", "peak RSS MB"), phases))
    print(f"Peak RSS over the run: {m['peak_rss'] / MB:,.0f} MB (PostgreSQL's own processes not included)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--scale", type=float, default=0.1, help="synthetic ICS scale (default 0.1)")
    parser.add_argument(
        "--work",
        type=Path,
        default=Path(tempfile.gettempdir()),
        help="where the built ICS is cached, as icsbench-bench-<scale> (default: the system temp folder)",
    )
    parser.add_argument(
        "--write-rows", type=int, default=500_000, help="cost lines per bulk write measurement (default 500,000)"
    )
    parser.add_argument(
        "--read-rows", type=int, default=1_000_000, help="at most this many rows per read measurement (default 1M)"
    )
    parser.add_argument("--json", type=Path, default=None, help="Also write the figures to this JSON file.")
    args = parser.parse_args()

    from tests import postgres_server

    cached = prepare_ics(args.work.resolve() / f"icsbench-bench-{args.scale:g}", args.scale)
    server = postgres_server.PostgresServer.start()
    os.environ[postgres_server.PASSWORD_ENV] = server.password
    try:
        with tempfile.TemporaryDirectory(prefix="icsbench-server-run-") as run:
            config_path = run_config(cached, Path(run), server.server_section(server.new_database()))
            print(f"PostgreSQL on port {server.port}; measuring", flush=True)
            measured = measure(config_path, args)
    finally:
        server.stop()
    report(measured)
    if args.json:
        args.json.write_text(json.dumps(measured, indent=2, default=str))


if __name__ == "__main__":
    main()
