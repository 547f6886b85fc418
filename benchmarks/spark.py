"""The refresh on local Spark over growing scales: wall time and shuffle volume, with DuckDB beside it.

For each scale, and each number of providers (`--providers`, 5 = the synthetic ICS, more = a national-shaped set
whose records per provider still follow the scale), it makes a synthetic data set (`icsbench synth`, seed 42,
2023/24, Parquet) in the work folder, loads it into a store (`icsbench load`) and exports the store's canonical data
to a Parquet lake (`icsbench lake export`), or reuses all three when a previous run left them. Then, on the same data
in the same run:

* the refresh on DuckDB (`compute = "pull"`, the default), exactly as `icsbench refresh` computes it;
* the refresh on Spark (`compute = "spark"`, a local session with `--cores` cores), computing every metric on Spark,
  reading the published tables back as Arrow and reconciling to the penny, as `icsbench refresh` does. Shuffle volume
  is what Spark's status store (the web UI's figures) reports for the stages the refresh ran: bytes written to and
  read from shuffle.

A first, untimed Spark refresh at the smallest scale warms the session up (starting the JVM and compiling the
planner's code paths cost minutes once). Ratios are against the smallest scale of the run: when the data grows k
times, a refresh that scales linearly takes about k times as long once fixed costs are small beside it. Spark's
fixed cost per metric (planning, a job per step, materialising each result) dominates at these sizes, so the curve is
flat first; the slope at the larger scales is the figure to project from (docs/national-scale.md).

    .venv/bin/python benchmarks/spark.py                                    # scales 0.0025, 0.01, 0.04
    .venv/bin/python benchmarks/spark.py --scales 0.01,0.04 --work /tmp/sb --json out.json
    .venv/bin/python benchmarks/spark.py --duckdb-up-to 0.01                # DuckDB only at the smaller scales
    .venv/bin/python benchmarks/spark.py --scales 0.002 --providers 10,20,40  # grow by providers

Kept small on purpose: this machine has 2 cores shared with others. The script is a report: it always exits 0.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import tempfile
import threading
import time
from contextlib import closing
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from engine import config as config_module
from engine import jobs, synth
from engine.config import IcsConfig, SparkSection
from engine.metrics.on_spark import OnSpark
from engine.store import open_store
from engine.store.spark.session import open_session

SEED = 42
FIN_YEAR = "2023/24"
MARKER = "benchmark-spark.json"
MB = 2**20
LOOKAHEAD = 64
"""Stage ids the shuffle meter looks past one the status store does not hold (without this it stopped at the first
such gap and missed every later stage)."""


@dataclass
class Point:
    scale: float
    providers: int
    activity_rows: int
    cost_lines: int
    duckdb_seconds: float | None
    spark_seconds: float
    shuffle_write_bytes: int | None
    shuffle_read_bytes: int | None
    spark_stages: int | None
    load_before: float
    load_after: float
    """The machine's one-minute load average before the refreshes and after them (its other jobs' share too)."""


def _folder(work: Path, scale: float, providers: int) -> Path:
    return work / (f"scale-{scale:g}" if providers == 5 else f"scale-{scale:g}-providers-{providers}")


def _prepared(folder: Path, scale: float, providers: int) -> tuple[IcsConfig, int, int]:
    """The synthetic data set at `scale` with `providers` trusts, loaded and exported to a lake in `folder`:
    (config, activity rows, cost lines)."""
    marker = folder / MARKER
    if marker.is_file():
        done = json.loads(marker.read_text(encoding="utf-8"))
        return config_module.load(Path(done["config"])), int(done["activity_rows"]), int(done["cost_lines"])
    folder.mkdir(parents=True, exist_ok=True)
    made = synth.generate(folder, scale=scale, seed=SEED, fin_year=FIN_YEAR, providers=providers)
    config = config_module.load(made.config_path)
    outcomes = jobs.load(config, list(made.files))
    if outcomes.failed:
        raise RuntimeError(f"the synthetic files at scale {scale} with {providers} providers did not all load")
    jobs.export_lake(_on_spark(config, folder, cores=1))
    marker.write_text(
        json.dumps(
            {"config": str(made.config_path), "activity_rows": made.activity_rows, "cost_lines": made.cost_lines}
        ),
        encoding="utf-8",
    )
    return config, made.activity_rows, made.cost_lines


def _on_spark(config: IcsConfig, folder: Path, *, cores: int) -> IcsConfig:
    section = SparkSection(master=f"local[{cores}]", shuffle_partitions=2 * cores, lake=str(folder / "lake"))
    store = config.store.model_copy(update={"compute": "spark"})
    return config.model_copy(update={"store": store, "spark": section})


def _duckdb_refresh(config: IcsConfig) -> float:
    started = time.perf_counter()
    with closing(open_store(config)) as store:
        jobs.refresh_store(store)
    return time.perf_counter() - started


class ShuffleMeter:
    """Shuffle bytes written and read by the stages Spark ran while the meter was on, from the driver's status
    store (what the web UI shows, there with the UI off too). Stages are polled as they finish: the store keeps only
    the last 1,000 (spark.ui.retainedStages), fewer than a refresh runs."""

    def __init__(self, spark: Any, every: float = 2.0) -> None:
        self._store = spark.sparkContext._jsc.sc().statusStore()
        self._every = every
        self._next = self._first_new_stage(spark.sparkContext.statusTracker())
        self.written = 0
        self.read = 0
        self.stages = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="shuffle-meter", daemon=True)

    @staticmethod
    def _first_new_stage(tracker: Any) -> int:
        """One past the highest stage of the jobs the session has run (stage ids count up from 0)."""
        stages = [
            stage
            for job in tracker.getJobIdsForGroup(None)
            if (info := tracker.getJobInfo(job)) is not None
            for stage in info.stageIds
        ]
        return max(stages, default=-1) + 1

    def _stage(self, stage: int) -> Any:
        try:
            return self._store.lastStageAttempt(stage)
        except Exception:  # py4j's error for a stage the store does not hold (not run yet, or evicted)
            return None

    def _collect(self) -> None:
        while True:
            data = self._stage(self._next)
            if data is None:  # not run yet, or an id the store never held (a later one has run): skip past it
                ahead = range(self._next + 1, self._next + LOOKAHEAD)
                later = next((s for s in ahead if self._stage(s) is not None), None)
                if later is None:
                    return
                self._next = later
                continue
            status = data.status().toString()
            if status in ("ACTIVE", "PENDING"):
                return
            self.written += int(data.shuffleWriteBytes())
            self.read += int(data.shuffleReadBytes())
            self.stages += 1
            self._next += 1

    def _run(self) -> None:
        while not self._stop.wait(self._every):
            self._collect()

    def __enter__(self) -> ShuffleMeter:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        time.sleep(1)  # the status store records the last stages just after their jobs end
        self._collect()


def _spark_refresh(config: IcsConfig) -> tuple[float, ShuffleMeter]:
    assert config.spark is not None
    spark = open_session(config.spark)
    compute = OnSpark(spark, config.spark, config.lake_location)
    with ShuffleMeter(spark) as meter:
        started = time.perf_counter()
        with closing(open_store(config)) as store:
            jobs.refresh_store(store, compute=compute)
        seconds = time.perf_counter() - started
    return seconds, meter


def measure(scale: float, providers: int, work: Path, *, cores: int, with_duckdb: bool) -> Point:
    folder = _folder(work, scale, providers)
    config, activity_rows, cost_lines = _prepared(folder, scale, providers)
    load_before = os.getloadavg()[0]
    duckdb_seconds = _duckdb_refresh(config) if with_duckdb else None
    spark_seconds, meter = _spark_refresh(_on_spark(config, folder, cores=cores))
    return Point(
        scale,
        providers,
        activity_rows,
        cost_lines,
        duckdb_seconds,
        spark_seconds,
        meter.written,
        meter.read,
        meter.stages,
        load_before,
        os.getloadavg()[0],
    )


def _ratio(value: float | None, base: float | None) -> str:
    return "-" if value is None or not base else f"{value / base:.2f}x"


def growth_exponent(sizes: list[float], values: list[float | None]) -> float | None:
    """b in value = a * size**b, fitted by least squares on logs (1 = linear growth, 0 = all fixed cost); None
    with fewer than two positive values or sizes that do not differ."""
    pairs = [(math.log(x), math.log(y)) for x, y in zip(sizes, values, strict=True) if x > 0 and y and y > 0]
    if len(pairs) < 2:
        return None
    mean_x = sum(x for x, _ in pairs) / len(pairs)
    mean_y = sum(y for _, y in pairs) / len(pairs)
    spread = sum((x - mean_x) ** 2 for x, _ in pairs)
    if spread == 0:
        return None
    return sum((x - mean_x) * (y - mean_y) for x, y in pairs) / spread


def _exponents(points: list[Point]) -> str:
    lines = [float(p.cost_lines) for p in points]
    figures = {
        "Spark refresh time": growth_exponent(lines, [p.spark_seconds for p in points]),
        "DuckDB refresh time": growth_exponent(lines, [p.duckdb_seconds for p in points]),
        "shuffle written": growth_exponent(lines, [_float(p.shuffle_write_bytes) for p in points]),
        "shuffle read": growth_exponent(lines, [_float(p.shuffle_read_bytes) for p in points]),
    }
    shown = ", ".join(f"{name} {value:.2f}" for name, value in figures.items() if value is not None)
    return f"Growth exponents against cost lines (1 = linear, 0 = fixed cost): {shown or 'need two sizes'}."


def _float(value: int | None) -> float | None:
    return None if value is None else float(value)


def report(points: list[Point]) -> str:
    base = points[0]
    lines = [
        "| scale | providers | activity records | cost lines | data vs smallest | DuckDB refresh | vs smallest "
        "| Spark refresh | vs smallest | Spark / DuckDB | shuffle written | shuffle read | Spark stages "
        "| load average before, after |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for p in points:
        duck = "-" if p.duckdb_seconds is None else f"{p.duckdb_seconds:.1f} s"
        written = "-" if p.shuffle_write_bytes is None else f"{p.shuffle_write_bytes / MB:.2f} MB"
        read = "-" if p.shuffle_read_bytes is None else f"{p.shuffle_read_bytes / MB:.2f} MB"
        lines.append(
            f"| {p.scale:g} | {p.providers} | {p.activity_rows:,} | {p.cost_lines:,} "
            f"| {_ratio(p.cost_lines, base.cost_lines)} "
            f"| {duck} | {_ratio(p.duckdb_seconds, base.duckdb_seconds)} | {p.spark_seconds:.1f} s "
            f"| {_ratio(p.spark_seconds, base.spark_seconds)} | {_ratio(p.spark_seconds, p.duckdb_seconds)} "
            f"| {written} | {read} | {p.spark_stages if p.spark_stages is not None else '-'} "
            f"| {p.load_before:.1f}, {p.load_after:.1f} |"
        )
    if len(points) >= 2:
        a, b = points[-2], points[-1]
        slope = (b.spark_seconds - a.spark_seconds) / max(b.cost_lines - a.cost_lines, 1) * 1e6
        lines.append(
            f"\nSpark's marginal cost between the two largest scales: {slope:.2f} s per million cost lines; "
            f"ratios are against scale {base.scale:g} with {base.providers} providers."
        )
        lines.append(_exponents(points))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", default="0.0025,0.01,0.04", help="comma-separated synthetic scales, ascending")
    parser.add_argument(
        "--providers", default="5", help="comma-separated numbers of providers (5 = the synthetic ICS), ascending"
    )
    parser.add_argument("--duckdb-up-to", type=float, default=1.0, help="run DuckDB beside Spark up to this scale")
    parser.add_argument("--cores", type=int, default=2, help="cores of the local Spark session")
    parser.add_argument(
        "--no-warm-up", dest="warm_up", action="store_false", help="skip the untimed first Spark refresh"
    )
    parser.add_argument("--work", type=Path, default=None, help="folder kept between runs (default: a temporary one)")
    parser.add_argument("--json", type=Path, default=None, help="also write the figures here")
    args = parser.parse_args(argv)
    os.environ.setdefault(config_module.PSEUDONYM_KEY_ENV, "benchmark-key-synthetic-data-only")
    scales = sorted(float(s) for s in args.scales.split(","))
    sizes = [(scale, int(n)) for n in sorted(int(n) for n in args.providers.split(",")) for scale in scales]
    work = args.work or Path(tempfile.mkdtemp(prefix="spark-bench-"))
    if args.warm_up:  # the JVM's first refresh pays for starting and compiling: not part of any scale's figure
        scale, providers = sizes[0]
        print(f"warming up: one untimed Spark refresh at scale {scale:g}, {providers} providers ...", flush=True)
        folder = _folder(work, scale, providers)
        _spark_refresh(_on_spark(_prepared(folder, scale, providers)[0], folder, cores=args.cores))
    points = []
    for scale, providers in sizes:
        print(f"scale {scale:g}, {providers} providers: preparing and refreshing ...", flush=True)
        point = measure(scale, providers, work, cores=args.cores, with_duckdb=scale <= args.duckdb_up_to)
        print(f"  {asdict(point)}", flush=True)
        points.append(point)
    print()
    print(report(points))
    if args.json:
        args.json.write_text(json.dumps([asdict(p) for p in points], indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
