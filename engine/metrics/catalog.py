"""The result tables: one SQL file each in `sql/metrics/`, described by the header comment at its top.

The header is the single description of a table. The refresh reads its inputs to run the files in dependency order,
the publisher reads its column roles to apply small-number suppression, and docs/metrics.md is written from it.

    -- unit_cost_benchmark: one line saying what the table answers
    -- Grain: one row per ...
    -- Inputs: results.event_costs, ref_national_schedule
    -- Published: yes
    -- About: what a finance manager needs to know, over as many
    --   indented lines as it takes (when not to add it up, say).
    -- Columns:
    --   org_code [key] provider ODS code
    --   cases [count] records in the cell
    --   mean_cost [from cases] total_cost / cases, pounds

Column roles (docs/disclosure-control.md says what each means for publication): `key` (a dimension, shown as is),
`count` (a count of records or patients: suppressed when small and rounded when published), `from X` (a rate built
on the records counted by column X: a mean, a share of them, a z score; hidden when X is suppressed), `total from X`
(a figure that grows with the records counted by X: a cost, units, bed days, an opportunity; hidden with X and
otherwise published at X's rounded count, so it cannot undo the rounding), `benchmark` (a comparator worked out from
several providers' rows of a cell: a median, a best in system; published only where it cannot echo a hidden provider),
`shown` (not about individual patients, shown as is: a reference price, a setting, the refresh id). A `from` or
`total from` figure compared with a benchmark names it: `[total from activity vs best_in_system_cost]` is hidden
wherever that benchmark is; compared with another figure of the row (an ICS cost per pathway, `from` its own
count), it is hidden wherever that figure is, as the difference would give it back. `dominance
total|largest|second|contributors of X` marks a figure the dominance rule reads for the money cell counted by X (its
cost, its largest two contributors' costs, by size, and how many contributors, patients, its cost comes from): used by
disclosure control, never published. Where the cell of X holds several money
figures (pharmacy, imaging and pathology cost per case), each names its own: `dominance total of X for pharmacy`; X
is hidden where any of them is dominated.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal, cast

from engine import sql_files

Role = Literal["key", "count", "from", "benchmark", "shown", "dominance"]
DominancePart = Literal["total", "largest", "second", "contributors"]
RESULTS_SCHEMA = "results"
PUBLISHED_SCHEMA = "published"
_COLUMN = re.compile(
    r"^(?P<name>[a-z][a-z0-9_]*) \[(?P<role>key|count|shown|benchmark|"
    r"(?P<total>total )?from (?P<source>[a-z][a-z0-9_]*)(?: vs (?P<against>[a-z][a-z0-9_]*))?|"
    r"dominance (?P<part>total|largest|second|contributors) of (?P<measured>[a-z][a-z0-9_]*)"
    r"(?: for (?P<figure>[a-z][a-z0-9_]*))?)\] (?P<text>.+)$"
)


class CatalogError(ValueError):
    """A metric SQL file whose header does not follow the convention (a developer error, caught by tests)."""


@dataclass(frozen=True)
class ColumnDoc:
    name: str
    role: Role
    description: str
    source: str | None = None  # for role "from": the count column the figure is built on
    total: bool = False  # for role "from": the figure grows with the count (published at the rounded count)
    against: str | None = None  # for role "from": the benchmark column it is compared with (hidden with it)
    part: DominancePart | None = None  # for role "dominance": which figure of the cell it is
    figure: str | None = None  # for role "dominance": which money figure of the cell, where a count has several

    @property
    def published(self) -> bool:
        """False for the figures only disclosure control reads (role dominance): they never leave the results."""
        return self.role != "dominance"


@dataclass(frozen=True)
class Metric:
    """One result table: its SQL (a single SELECT) and what its header says about it."""

    name: str
    summary: str
    grain: str
    inputs: tuple[str, ...]
    published: bool
    about: str
    columns: tuple[ColumnDoc, ...]
    query: str

    @property
    def table(self) -> str:
        """Where the refresh writes it: published tables in the results schema; internal ones are temporary (held
        in memory for the refresh's connection only, so record-level rows never reach the store file)."""
        return f"{RESULTS_SCHEMA}.{self.name}" if self.published else self.name

    @property
    def published_table(self) -> str:
        return f"{PUBLISHED_SCHEMA}.{self.name}"

    def count_and_cost_sql(self, relation: str) -> str:
        """SELECT its rows and, when it has a total_cost column, their total cost (else NULL) from `relation`."""
        has_cost = any(c.name == "total_cost" for c in self.columns)
        return f"SELECT count(*), {'sum(total_cost)' if has_cost else 'NULL'} FROM {relation}"

    def column(self, name: str) -> ColumnDoc:
        for column in self.columns:
            if column.name == name:
                return column
        raise KeyError(f"{self.name} has no column {name}")


def parse(name: str, text: str) -> Metric:
    """Read a metric file: its header comment and the query below it."""
    header: list[str] = []
    lines = text.splitlines()
    for line in lines:
        if not line.startswith("--"):
            break
        header.append(line[2:].rstrip())
    query = "\n".join(line for line in lines[len(header) :] if not line.lstrip().startswith("--")).strip()
    query = query.removesuffix(";").strip()
    if not header or not header[0].startswith(f" {name}: "):
        raise CatalogError(f"sql/metrics/{name}.sql must start with `-- {name}: <what the table answers>`")
    fields: dict[str, list[str]] = {}
    current = ""
    for line in header[1:]:
        match = re.match(r"^ (Grain|Inputs|Published|About|Columns):\s*(.*)$", line)
        if match:
            current = match.group(1)
            fields[current] = [match.group(2)] if match.group(2) else []
        elif current and line.startswith("   "):
            fields[current].append(line.strip() if current != "Columns" else line[3:])
        else:
            raise CatalogError(f"sql/metrics/{name}.sql: header line {line!r} is not part of a field")
    missing = {"Grain", "Inputs", "Published", "About", "Columns"} - set(fields)
    if missing:
        raise CatalogError(f"sql/metrics/{name}.sql: header is missing {', '.join(sorted(missing))}")
    return Metric(
        name=name,
        summary=header[0].split(": ", 1)[1].strip(),
        grain=" ".join(fields["Grain"]),
        inputs=tuple(i.strip() for i in " ".join(fields["Inputs"]).split(",") if i.strip()),
        published=" ".join(fields["Published"]).strip() == "yes",
        about=" ".join(fields["About"]),
        columns=_columns(name, fields["Columns"]),
        query=query,
    )


def _columns(name: str, lines: list[str]) -> tuple[ColumnDoc, ...]:
    out: list[ColumnDoc] = []
    for line in lines:
        if line.startswith(" ") and out:
            last = out[-1]
            out[-1] = ColumnDoc(
                last.name,
                last.role,
                f"{last.description} {line.strip()}",
                last.source,
                last.total,
                last.against,
                last.part,
                last.figure,
            )
            continue
        match = _COLUMN.match(line)
        if not match:
            raise CatalogError(f"sql/metrics/{name}.sql: column line {line!r} should read `name [role] meaning`")
        source = match.group("source") or match.group("measured")
        role: Role = "dominance" if match.group("part") else "from" if source else match.group("role")  # type: ignore[assignment]
        out.append(
            ColumnDoc(
                match.group("name"),
                role,
                match.group("text").strip(),
                source,
                total=bool(match.group("total")),
                against=match.group("against"),
                part=cast("DominancePart | None", match.group("part")),
                figure=match.group("figure"),
            )
        )
    names = {c.name for c in out}
    for column in out:
        if column.source and column.source not in names:
            raise CatalogError(f"sql/metrics/{name}.sql: {column.name} is built on {column.source}, not a column")
        if column.source and next(c for c in out if c.name == column.source).role != "count":
            raise CatalogError(f"sql/metrics/{name}.sql: {column.name} must be built on a [count] column")
        compared = next((c.role for c in out if c.name == column.against), None)
        if column.against and compared not in ("benchmark", "from"):
            raise CatalogError(
                f"sql/metrics/{name}.sql: {column.name} is compared with {column.against}, not a benchmark or a figure"
            )
    return tuple(out)


# The order people meet the tables in (the seed dashboard's pages); the refresh keeps it wherever inputs allow.
PRESENTATION_ORDER = (
    "system_cost",
    "provider_overview",
    "unit_cost_benchmark",
    "cost_driver_benchmark",
    "opportunity_summary",
    "cost_trend",
    "los_benchmark",
    "los_summary",
    "inpatient_cost_drivers",
    "clinical_support",
    "critical_care",
    "ward_costs",
    "cost_per_wau",
    "linkage_quality",
    "high_use_patients",
    "pathway_cost",
    "gp_practice_cost",
    "deprivation_cost",
    "population_rates",
    "data_quality",
    "service_line_benchmark",
    "service_line_drivers",
    "service_line_wards",
    "service_line_los",
    "service_line_profile",
    "period_alignment",
    "costing_quality",
    "dim_year",
    "dim_provider",
    "dim_pod",
    "dim_tfc",
    "dim_hrg",
)


@cache
def metrics() -> tuple[Metric, ...]:
    """Every result table, each after the tables it reads, otherwise in presentation order."""
    folder = sql_files.sql_dir() / "metrics"
    found = {path.stem: parse(path.stem, path.read_text(encoding="utf-8")) for path in sorted(folder.glob("*.sql"))}
    graph: dict[str, set[str]] = {}
    for metric in found.values():
        needs = {i.removeprefix(f"{RESULTS_SCHEMA}.") for i in metric.inputs}
        graph[metric.name] = {n for n in needs if n in found and n != metric.name}
    ordered: list[str] = []
    while len(ordered) < len(graph):
        ready = [n for n in graph if n not in ordered and graph[n] <= set(ordered)]
        if not ready:
            raise CatalogError(
                f"sql/metrics: these tables read each other in a cycle: {sorted(set(graph) - set(ordered))}"
            )
        ordered.append(min(ready, key=lambda n: _rank(found[n])))
    return tuple(found[name] for name in ordered)


def _rank(metric: Metric) -> tuple[int, int, str]:
    """Internal tables first, then the published ones in presentation order, then any others by name."""
    if not metric.published:
        return (0, 0, metric.name)
    if metric.name in PRESENTATION_ORDER:
        return (1, PRESENTATION_ORDER.index(metric.name), metric.name)
    return (2, 0, metric.name)


def published() -> tuple[Metric, ...]:
    return tuple(m for m in metrics() if m.published)


def metric(name: str) -> Metric:
    """One result table by name, with the choices in the error when the name is wrong."""
    for m in metrics():
        if m.name == name:
            return m
    choices = ", ".join(m.name for m in published())
    raise KeyError(f"no result table called {name!r}; the tables are: {choices}")
