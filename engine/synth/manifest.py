"""manifest.json and control_totals.csv: what was generated, how much, and the planted effects' realised size."""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from engine.synth.providers import PROVIDERS, ProviderSpec


def pounds(pennies: int) -> Decimal:
    """Whole pennies as an exact two-decimal amount."""
    return Decimal(int(pennies)).scaleb(-2)


@dataclass
class FileTotal:
    """One written file: its rows and (cost files only) its exact cost in pennies."""

    path: Path
    provider: str
    setting: str
    quarter: int
    layout: str
    rows: int
    pennies: int | None


@dataclass
class Tally:
    """Running counts per provider and setting."""

    records: dict[tuple[str, str], int] = field(default_factory=dict)
    cost_lines: dict[tuple[str, str], int] = field(default_factory=dict)
    pennies: dict[tuple[str, str], int] = field(default_factory=dict)
    files: list[FileTotal] = field(default_factory=list)

    def add(self, provider: str, setting: str, records: int, cost_lines: int, pennies: int) -> None:
        key = (provider, setting)
        self.records[key] = self.records.get(key, 0) + records
        self.cost_lines[key] = self.cost_lines.get(key, 0) + cost_lines
        self.pennies[key] = self.pennies.get(key, 0) + pennies

    @property
    def total_records(self) -> int:
        return sum(self.records.values())

    @property
    def total_cost_lines(self) -> int:
        return sum(self.cost_lines.values())

    @property
    def total_pennies(self) -> int:
        return sum(self.pennies.values())


@dataclass(frozen=True)
class ListSizes:
    """The GP list size file: registered patients per practice at the scale of the reference population."""

    file: str
    reference_population: int
    scale: float
    sizes: dict[str, int]

    def summary(self) -> dict[str, Any]:
        return {
            "file": self.file,
            "practices": len(self.sizes),
            "registered_patients": sum(self.sizes.values()),
            "reference_population": self.reference_population,
            "scale": self.scale,
        }


def write_control_totals(path: Path, files: list[FileTotal]) -> Path:
    """control_totals.csv: file, rows, total_cost (blank for activity files)."""
    with path.open("w", encoding="utf-8", newline="") as handle:
        out = csv.writer(handle)
        out.writerow(["file", "rows", "total_cost"])
        for item in files:
            out.writerow([item.path.name, item.rows, "" if item.pennies is None else str(pounds(item.pennies))])
    return path


def top_share(patient_pennies: npt.NDArray[np.int64], fraction: float = 0.2) -> float | None:
    """Share of cost carried by the costliest `fraction` of the patients who had any activity."""
    used = np.sort(patient_pennies[patient_pennies != 0])[::-1]
    if len(used) == 0 or used.sum() <= 0:
        return None
    top = max(1, round(len(used) * fraction))
    return round(float(used[:top].sum() / used.sum()), 4)


def build(
    *,
    version: str,
    seed: int,
    scale: float,
    fin_year: str,
    file_format: str,
    tally: Tally,
    planted: list[dict[str, Any]],
    patients: int,
    practices: int,
    patient_pennies: npt.NDArray[np.int64],
    patients_with_activity: int,
    pathway_effects: dict[str, Any],
    long_term_conditions: dict[str, Any],
    gp_list_sizes: ListSizes,
    providers: tuple[ProviderSpec, ...] = PROVIDERS,
) -> dict[str, Any]:
    """The manifest as a JSON-ready dict."""
    counts: dict[str, dict[str, dict[str, Any]]] = {}
    for (provider, setting), records in tally.records.items():
        counts.setdefault(provider, {})[setting] = {
            "records": records,
            "cost_lines": tally.cost_lines[(provider, setting)],
            "total_cost": str(pounds(tally.pennies[(provider, setting)])),
        }
    return {
        "generator": {"name": "engine.synth", "version": version},
        "seed": seed,
        "scale": scale,
        "fin_year": fin_year,
        "file_format": file_format,
        "providers": [
            {
                "code": p.code,
                "name": p.name,
                "type": p.type,
                "settings": list(p.settings),
                "efficiency_factor": p.efficiency,
                "home_districts": list(p.home_districts),
                "size": p.size,
            }
            for p in providers
        ],
        "population": {
            "patients": patients,
            "gp_practices": practices,
            "patients_with_activity": patients_with_activity,
            "top_20pct_patients_cost_share": top_share(patient_pennies),
            "gp_list_sizes": gp_list_sizes.summary(),
        },
        "long_term_conditions": long_term_conditions,
        "pathway_effects": pathway_effects,
        "counts": counts,
        "totals": {
            "records": tally.total_records,
            "cost_lines": tally.total_cost_lines,
            "total_cost": str(pounds(tally.total_pennies)),
        },
        "planted_effects": planted,
        "files": [
            {
                "file": f.path.name,
                "provider": f.provider,
                "setting": f.setting,
                "quarter": f.quarter,
                "layout": f.layout,
                "rows": f.rows,
                "total_cost": None if f.pennies is None else str(pounds(f.pennies)),
            }
            for f in tally.files
        ],
    }


def write(path: Path, manifest: dict[str, Any]) -> Path:
    """Write the manifest with sorted keys."""
    path.write_text(json.dumps(manifest, indent=2, sort_keys=True, ensure_ascii=False) + "\n", encoding="utf-8")
    return path
