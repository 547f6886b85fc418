"""What the written records show of each care pathway: per index spell, the records and cost in each step.

Records are matched to index spells by the windows the config describes: `during` the index stay (admission to
discharge), or `after` it (0 to `to_day` days after the discharge, by admission date for admitted care and event date
otherwise); the index spell's own episodes are never a step of it. Events are counted as records, admitted care as
spells (all of a spell's episodes are costed). Two views are reported per index provider:

* every index spell as generated (windows cut short at the year end included), which is what the follow-on care and
  the planted effect were made for;
* complete pathways as the engine costs them: each patient's first index spell of a pathway in the year (by admission
  date, then provider and spell), whose whole window has passed by the latest event date written.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Final

import numpy as np
import numpy.typing as npt

from engine.synth import planted
from engine.synth.events import Records
from engine.synth.ics_definitions import FOLLOW_UP_DAYS, PATHWAYS, REHAB_SERVICES, Pathway, Step
from engine.synth.pathways import REHAB_STEP, Scheduled, index_rows, matches

Ints = npt.NDArray[np.int64]
Bools = npt.NDArray[np.bool_]
Strs = npt.NDArray[np.str_]
Days = npt.NDArray[np.datetime64]

_MATCHED_COLUMNS: Final = ("period", "pod", "primary_diagnosis", "hrg", "service_code", "episode_number")
_FIGURES: Final = ("rehab_contacts_per_spell", "rehab_cost_per_spell", "follow_on_rehab_contacts_per_spell")


@dataclass
class _IndexSpells:
    """One pathway's index spells so far (where, which spell, who, when) and, per step, their records and pennies."""

    provider: list[str] = field(default_factory=list)
    spell: list[str] = field(default_factory=list)
    patient: list[int] = field(default_factory=list)
    admission: list[np.datetime64] = field(default_factory=list)
    discharge: list[np.datetime64] = field(default_factory=list)
    rehab_follow_ons: list[int] = field(default_factory=list)
    outpatient_follow_ons: list[int] = field(default_factory=list)
    records: dict[str, Ints] = field(default_factory=dict)
    pennies: dict[str, Ints] = field(default_factory=dict)

    def __len__(self) -> int:
        return len(self.patient)

    def grow(self, steps: tuple[Step, ...]) -> None:
        """Make room in the per-step sums for spells just added."""
        for step in steps:
            for sums in (self.records, self.pennies):
                current = sums.get(step.name, np.zeros(0, dtype=np.int64))
                sums[step.name] = np.concatenate([current, np.zeros(len(self) - len(current), dtype=np.int64)])


@dataclass
class _Observed:
    """Compact records waiting to be matched against the index spells (what the step filters and windows need)."""

    setting: str
    provider: str
    columns: dict[str, Any]
    patient: Ints
    start: Days
    spell: Strs
    pennies: Ints


class PathwayTally:
    """Index spells and the records in each of their steps, with their cost, as written."""

    def __init__(self) -> None:
        self._index = {p.name: _IndexSpells() for p in PATHWAYS}
        self._waiting: list[_Observed] = []
        self._data_end: np.datetime64 | None = None

    def add_index(self, code: str, records: Records, scheduled: Scheduled) -> None:
        """Register an admitted care chunk's index spells and the follow-on events each scheduled."""
        for pathway in PATHWAYS:
            rows = index_rows(records, pathway)
            spells = self._index[pathway.name]
            spells.provider += [code] * len(rows)
            spells.spell += [str(s) for s in records.columns["spell_id"].take(rows).to_pylist()]
            spells.patient += records.patient[rows].tolist()
            spells.admission += list(np.asarray(records.columns["admission_date"])[rows].astype("datetime64[D]"))
            spells.discharge += list(np.asarray(records.columns["discharge_date"])[rows].astype("datetime64[D]"))
            spells.rehab_follow_ons += scheduled.rehab_by_spell[pathway.name].tolist()
            spells.outpatient_follow_ons += scheduled.outpatient_by_spell[pathway.name].tolist()
            spells.grow(pathway.steps)

    def observe(self, code: str, records: Records, record_pennies: Ints) -> None:
        """Hold a chunk's records (only what matching needs) until `match`."""
        if len(records) == 0:
            return
        columns = records.columns
        admitted = records.setting == "apc"
        start = np.asarray(columns["admission_date"] if admitted else columns["event_date"]).astype("datetime64[D]")
        spell = (
            np.asarray(columns["spell_id"].to_numpy(zero_copy_only=False)) if admitted else np.full(len(records), "")
        )
        kept: dict[str, Any] = {name: np.asarray(columns[name]) for name in _MATCHED_COLUMNS if name in columns}
        latest = start.max()
        self._data_end = latest if self._data_end is None else max(self._data_end, latest)
        self._waiting.append(
            _Observed(records.setting, code, kept, records.patient, start, spell, np.asarray(record_pennies))
        )

    def match(self) -> None:
        """Count the held records into the steps of every index spell registered so far, then drop them.

        Call it only once every index spell whose window can hold the held records is registered: after all of a
        quarter's admitted care, since a readmission in the same quarter may come from another provider.
        """
        for pathway in PATHWAYS:
            spells = self._index[pathway.name]
            if len(spells) == 0:
                continue
            index = (
                np.array(spells.provider),
                np.array(spells.spell),
                np.array(spells.patient, dtype=np.int64),
                np.array(spells.admission, dtype="datetime64[D]"),
                np.array(spells.discharge, dtype="datetime64[D]"),
            )
            for observed in self._waiting:
                for step in pathway.steps:
                    self._count(spells, step, observed, index)
        self._waiting = []

    @staticmethod
    def _count(
        spells: _IndexSpells, step: Step, observed: _Observed, index: tuple[Strs, Strs, Ints, Days, Days]
    ) -> None:
        """Add one chunk's records in a step's window to each index spell's sums."""
        provider, spell, patient, admission, discharge = index
        if observed.setting not in step.events.settings:
            return
        rows = np.flatnonzero(np.isin(observed.patient, patient))
        subset = {name: values[rows] for name, values in observed.columns.items()}
        rows = rows[matches(step.events, subset, observed.setting)]
        if len(rows) == 0:
            return
        order = np.argsort(patient, kind="stable")
        first = np.searchsorted(patient[order], observed.patient[rows], side="left")
        count = np.searchsorted(patient[order], observed.patient[rows], side="right") - first
        record = np.repeat(rows, count)
        offset = np.arange(len(record)) - np.repeat(np.cumsum(count) - count, count)
        spell_row = order[np.repeat(first, count) + offset]
        start = observed.start[record]
        if step.window == "during":
            inside = (start >= admission[spell_row]) & (start <= discharge[spell_row])
        else:
            days = (start - discharge[spell_row]).astype(np.int64)
            inside = (days >= 0) & (days <= (step.to_day or 0))
        inside &= ~((observed.provider == provider[spell_row]) & (observed.spell[record] == spell[spell_row]))
        counted = inside
        if "episode_number" in observed.columns:
            counted = inside & (observed.columns["episode_number"][record] == 1)
        np.add.at(spells.records[step.name], spell_row[counted], 1)
        np.add.at(spells.pennies[step.name], spell_row[inside], observed.pennies[record[inside]])

    def summary(self) -> dict[str, Any]:
        """Per pathway and index provider, every index spell and the complete pathways, with the planted effect."""
        out: dict[str, Any] = {}
        for pathway in PATHWAYS:
            spells = self._index[pathway.name]
            providers = np.array(spells.provider, dtype="<U3")
            first, complete = self._first_and_complete(spells)
            by_provider, pathways_by_provider = {}, {}
            for code in sorted(set(spells.provider)):
                mine = providers == code
                by_provider[code] = _spells_summary(pathway, spells, mine)
                pathways_by_provider[code] = _pathways_summary(
                    pathway, spells, mine & first & complete, mine & first & ~complete
                )
            effect = next((e for e in planted.PLANTED_PATHWAYS if e.pathway == pathway.name), None)
            out[pathway.name] = {
                "label": pathway.label,
                "window_days": FOLLOW_UP_DAYS,
                "rehabilitation_services": list(REHAB_SERVICES),
                "index_providers": by_provider,
                "complete_pathways": pathways_by_provider,
                "planted": None if effect is None else _planted(effect, by_provider, pathways_by_provider),
            }
        return out

    def _first_and_complete(self, spells: _IndexSpells) -> tuple[Bools, Bools]:
        """Which index spells are their patient's first in the year, and whose longest window has passed by the last
        event date written."""
        n = len(spells)
        first = np.zeros(n, dtype=np.bool_)
        order = sorted(range(n), key=lambda i: (spells.admission[i], spells.provider[i], spells.spell[i]))
        seen: set[int] = set()
        for i in order:
            if spells.patient[i] not in seen:
                seen.add(spells.patient[i])
                first[i] = True
        if self._data_end is None or n == 0:
            return first, np.zeros(n, dtype=np.bool_)
        waited = (self._data_end - np.array(spells.discharge, dtype="datetime64[D]")).astype(np.int64)
        return first, np.asarray(waited >= FOLLOW_UP_DAYS, dtype=np.bool_)


def _per(total: float, spells: int, places: int = 4) -> float | None:
    return round(total / spells, places) if spells else None


def _step_figures(pathway: Pathway, spells: _IndexSpells, rows: Bools, count: int) -> dict[str, dict[str, Any]]:
    figures = {}
    for step in pathway.steps:
        records = int(spells.records[step.name][rows].sum())
        pennies = int(spells.pennies[step.name][rows].sum())
        figures[step.name] = {
            "records": records,
            "records_per_spell": _per(records, count),
            "cost": f"{pennies / 100:.2f}",
            "cost_per_spell": _per(pennies / 100, count, 2),
        }
    return figures


def _spells_summary(pathway: Pathway, spells: _IndexSpells, rows: Bools) -> dict[str, Any]:
    """Every index spell of one provider as generated."""
    count = int(rows.sum())
    steps = _step_figures(pathway, spells, rows, count)
    return {
        "index_spells": count,
        "rehab_contacts_per_spell": steps[REHAB_STEP]["records_per_spell"],
        "rehab_cost_per_spell": steps[REHAB_STEP]["cost_per_spell"],
        "follow_on_rehab_contacts_per_spell": _per(sum(np.array(spells.rehab_follow_ons)[rows].tolist()), count),
        "follow_on_outpatient_attendances_per_spell": _per(
            sum(np.array(spells.outpatient_follow_ons)[rows].tolist()), count
        ),
        "steps": steps,
    }


def _pathways_summary(pathway: Pathway, spells: _IndexSpells, complete: Bools, incomplete: Bools) -> dict[str, Any]:
    """One provider's complete pathways as the engine costs them."""
    count = int(complete.sum())
    steps = _step_figures(pathway, spells, complete, count)
    return {
        "pathways": count,
        "pathways_incomplete": int(incomplete.sum()),
        "rehab_contacts_per_spell": steps[REHAB_STEP]["records_per_spell"],
        "rehab_cost_per_spell": steps[REHAB_STEP]["cost_per_spell"],
        "follow_on_rehab_contacts_per_spell": _per(sum(np.array(spells.rehab_follow_ons)[complete].tolist()), count),
        "steps": steps,
    }


def _realised(effect: planted.PlantedPathwayEffect, figures: dict[str, dict[str, Any]], size: str) -> dict[str, Any]:
    """The planted provider's figures per spell against the other providers' pooled figures."""

    def pooled(codes: list[str], figure: str) -> float | None:
        spells = sum(figures[c][size] for c in codes)
        total = sum((figures[c][figure] or 0.0) * figures[c][size] for c in codes)
        return round(total / spells, 4) if spells else None

    others = [c for c in figures if c != effect.provider]
    mine = [effect.provider] if effect.provider in figures else []
    out = {}
    for figure in _FIGURES:
        provider_value, others_value = pooled(mine, figure), pooled(others, figure)
        ratio = round(provider_value / others_value, 4) if provider_value and others_value else None
        out[figure] = {"provider": provider_value, "others": others_value, "ratio": ratio}
    return out


def _planted(
    effect: planted.PlantedPathwayEffect,
    by_provider: dict[str, dict[str, Any]],
    pathways_by_provider: dict[str, dict[str, Any]],
) -> dict[str, Any]:
    return {
        "id": effect.id,
        "provider": effect.provider,
        "step": effect.step,
        "factor": effect.factor,
        "measure": effect.measure,
        "effect": effect.effect,
        "realised": _realised(effect, by_provider, "index_spells"),
        "realised_complete_pathways": _realised(effect, pathways_by_provider, "pathways"),
    }
