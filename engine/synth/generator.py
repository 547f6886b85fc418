"""The generator's driver: one chunk (provider x setting x quarter) at a time, written as soon as it is made.

Only the population (one row per patient), running totals, the pending follow-on events and the pathway tally's
current quarter of admitted and critical care live for the whole run, so memory grows with the scale but not with the
number of chunks. Every chunk has its own random stream, and the chunks are made in one fixed order (follow-on events
need their quarter's admitted care first), so the same seed and scale always give the same files.

Chunks are made quarter by quarter: first every provider's admitted care (each APC chunk straight followed by its
critical care), whose index admissions schedule follow-on care (`pathways`), then the other settings, which take the
follow-on events that fall in their provider and quarter.
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Final, Literal

import numpy as np

from engine.progress import Progress, silent
from engine.synth import (
    admitted,
    ambulatory,
    community,
    conditions,
    costs,
    ics_config,
    layouts,
    manifest,
    pathways,
    population,
    writer,
)
from engine.synth.dates import parse_fin_year
from engine.synth.events import Chunk, FollowOns, Records
from engine.synth.pathway_tally import PathwayTally
from engine.synth.planted import PLANTED, Realised
from engine.synth.providers import PROVIDERS, SETTING_ORDER, ProviderSpec, roster, wards
from engine.synth.seeding import chunk_rng
from engine.synth.volumes import Demand

GENERATOR_VERSION: Final = "1.2.0"
GP_LIST_SIZES_FILE: Final = "gp_list_sizes.csv"
ADMITTED: Final[tuple[str, ...]] = ("apc", "cc")


@dataclass(frozen=True)
class SynthResult:
    """What `generate` wrote. `total_cost` is exact (pennies), the sum of every cost line and wide cost cell."""

    out_dir: Path
    files: list[Path]
    config_path: Path
    manifest_path: Path
    control_totals_path: Path
    gp_list_sizes_path: Path
    activity_rows: int
    cost_lines: int
    total_cost: Decimal


def _plan(providers: tuple[ProviderSpec, ...] = PROVIDERS) -> list[tuple[ProviderSpec, int, str]]:
    """The chunks in the order they are made: per quarter, admitted care (APC then its critical care, provider by
    provider), then each other setting provider by provider."""
    plan: list[tuple[ProviderSpec, int, str]] = []
    for quarter in (1, 2, 3, 4):
        plan += [(spec, quarter, s) for spec in providers for s in ADMITTED if s in spec.settings]
        plan += [
            (spec, quarter, s) for s in SETTING_ORDER if s not in ADMITTED for spec in providers if s in spec.settings
        ]
    return plan


def _records(
    chunk: Chunk, admitted_care: tuple[Records, admitted.CriticalCareLinks] | None, follow_ons: FollowOns | None
) -> Records:
    """A chunk's records; critical care is made from the same provider and quarter's admitted care."""
    setting = chunk.setting
    if setting == "cc":
        if admitted_care is None:
            raise ValueError("critical care is generated from the same provider's admitted care")
        return admitted.critical_care(chunk, *admitted_care)
    if setting == "op":
        return ambulatory.outpatients(chunk, follow_ons)
    if setting == "ec":
        return ambulatory.emergency_care(chunk)
    if setting == "mh":
        return community.mental_health(chunk)
    return community.community(chunk, follow_ons)


def _write_list_sizes(path: Path, sizes: dict[str, int]) -> Path:
    """gp_list_sizes.csv: gp_practice, registered_patients."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["gp_practice", "registered_patients"])
        out.writerows(sizes.items())
    return path


def _write_chunk(
    out_dir: Path, chunk: Chunk, records: Records, lines: costs.CostLines, file_format: writer.FileFormat
) -> list[manifest.FileTotal]:
    """Write a chunk's files (activity and cost lines, or one wide file) and return what each holds."""
    code, setting, year = chunk.provider.code, chunk.setting, chunk.fin_year
    written = []
    for layout in layouts.layouts_for(code, setting):
        path = out_dir / layouts.file_name(code, setting, year.compact, chunk.quarter, layout, file_format)
        pennies: int | None = int(lines.pennies.sum())
        if layout == "activity":
            table = writer.activity_table(records, code, year.label, layouts.mapping_for(code, setting))
            pennies = None
        elif layout == "cost_lines":
            table = writer.cost_lines_table(records, lines, code, year.label)
        else:
            table = writer.wide_table(records, lines, code, year.label)
        writer.write(table, path, file_format)
        written.append(manifest.FileTotal(path, code, setting, chunk.quarter, layout, table.num_rows, pennies))
    return written


def generate(
    out_dir: Path,
    *,
    scale: float = 0.01,
    seed: int = 42,
    fin_year: str = "2023/24",
    file_format: Literal["parquet", "csv"] = "parquet",
    providers: int = len(PROVIDERS),
    progress: Progress = silent,
) -> SynthResult:
    """Write a synthetic ICS data set (five providers, four quarters), its config, manifest and control totals.

    `scale` 1.0 is an ICS of about 1.8M people: 850,000 patients, 6.9M activity records, about 35M cost lines.
    Volumes scale linearly. `providers` above 5 makes a national-shaped set (`providers.roster`): the added trusts
    have their own home patients, so records per provider still follow `scale` and the whole grows with the number
    of providers. The same seed, scale and providers give identical files. `progress(file name, done, total)` is
    called after each file is written.
    """
    if not scale > 0:
        raise ValueError(f"scale must be positive, not {scale}")
    if file_format not in ("parquet", "csv"):
        raise ValueError(f"file_format must be 'parquet' or 'csv', not {file_format!r}")
    year = parse_fin_year(fin_year)
    out_dir = Path(out_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    system = roster(providers, seed)
    system_scale = population.system_scale(scale, system)
    people = population.build(population.patient_count(system_scale), seed, system)
    demand = Demand(people, system)

    plan = _plan(system.providers)
    total_files = sum(len(layouts.layouts_for(spec.code, setting)) for spec, _, setting in plan) + 4
    done = 0

    def report(path: Path) -> None:
        nonlocal done
        done += 1
        progress(path.name, done, total_files)

    tally = manifest.Tally()
    realised = Realised(PLANTED + tuple(e for spec in system.providers for e in spec.planted_effects))
    patient_pennies = np.zeros(people.size, dtype=np.int64)
    patient_events = np.zeros(people.size, dtype=np.int64)
    detected = conditions.ConditionTally(people.size)
    pending = pathways.PendingFollowOns()
    pathway_tally = PathwayTally()
    apc: tuple[Records, admitted.CriticalCareLinks] | None = None
    for spec, quarter, setting in plan:
        code = spec.code
        chunk = Chunk(spec, setting, quarter, year, system_scale, seed, people, demand)
        if setting == "apc":
            apc = admitted.admitted_care(chunk, wards(code, seed, system))
            records = apc[0]
            scheduled = pathways.schedule(chunk, records)
            pending.add(scheduled)
            pathway_tally.add_index(code, records, scheduled)
        else:
            records = _records(chunk, apc, pending.take(code, setting, quarter))
        lines = costs.cost_records(records, spec, chunk_rng(seed, code, setting, quarter, "costs"))
        realised.add(code, records, lines)
        record_pennies = lines.record_pennies()
        detected.add(records)
        pathway_tally.observe(code, records, record_pennies)
        if setting not in ADMITTED:
            pathway_tally.match()
        patient_pennies += np.bincount(records.patient, weights=record_pennies, minlength=people.size).astype(np.int64)
        patient_events += np.bincount(records.patient, minlength=people.size)
        for item in _write_chunk(out_dir, chunk, records, lines, file_format):
            tally.files.append(item)
            report(item.path)
        line_count = lines.wide_cells if layouts.is_wide(code, setting) else len(lines)
        tally.add(code, setting, len(records), line_count, int(lines.pennies.sum()))
        if setting == "cc" or "cc" not in spec.settings:
            apc = None

    pending.check_all_taken()
    pathway_tally.match()
    data_files = [f.path for f in tally.files]
    control_path = manifest.write_control_totals(out_dir / "control_totals.csv", tally.files)
    report(control_path)
    list_sizes = population.gp_list_sizes(people, system_scale)
    list_sizes_path = _write_list_sizes(out_dir / GP_LIST_SIZES_FILE, list_sizes)
    report(list_sizes_path)
    manifest_path = manifest.write(
        out_dir / "manifest.json",
        manifest.build(
            version=GENERATOR_VERSION,
            seed=seed,
            scale=scale,
            fin_year=year.label,
            file_format=file_format,
            providers=system.providers,
            tally=tally,
            planted=realised.summary(),
            patients=people.size,
            practices=people.practices,
            patient_pennies=patient_pennies,
            patients_with_activity=int((patient_events > 0).sum()),
            pathway_effects=pathway_tally.summary(),
            long_term_conditions=detected.summary(people.conditions, people.age, patient_pennies),
            gp_list_sizes=manifest.ListSizes(
                GP_LIST_SIZES_FILE, population.reference_population(), system_scale, list_sizes
            ),
        ),
    )
    report(manifest_path)
    config_path = ics_config.write(
        out_dir / "ics.toml",
        seed=seed,
        scale=system_scale,
        fin_year=year.label,
        gp_list_sizes=GP_LIST_SIZES_FILE,
        providers=system.providers,
    )
    report(config_path)
    return SynthResult(
        out_dir=out_dir,
        files=data_files,
        config_path=config_path,
        manifest_path=manifest_path,
        control_totals_path=control_path,
        gp_list_sizes_path=list_sizes_path,
        activity_rows=tally.total_records,
        cost_lines=tally.total_cost_lines,
        total_cost=manifest.pounds(tally.total_pennies),
    )
