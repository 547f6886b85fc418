"""Disclosure control for everything published: the rules of docs/disclosure-control.md, applied to one table.

Counts of 1 to `smallest_shown - 1` records are hidden and every other count is rounded to the nearest `round_to`;
a figure built on a hidden count is hidden with it, and so is a figure whose count is missing (fail closed). A zero
stays a zero: "no activity" is not disclosive. Three further rules stop the published figures being combined to
undo that:

- a figure that grows with the count (a cost, units, bed days, an opportunity: role `total from X`) is published at
  the rounded count (scaled by rounded / true count), so dividing it by a published mean gives back the rounded
  count and nothing finer; rates are published to two decimal places, too coarse to pin the count by arithmetic;
- a benchmark worked out from several providers' rows (a median, a best in system: role `benchmark`) is published
  only in a cell with at least `benchmark_min_providers` providers none of whose rows is hidden, and a figure
  compared with it (`vs` it) is hidden where it is;
- a money cell one or two patients dominate (the p% rule: the other contributors' cost is less than
  `dominance_p_percent` of the largest; or the nk rule: the largest two make up at least `dominance_k_percent` of the
  cost), or whose cost comes from fewer than `smallest_shown` patients, is hidden as a small one is, read from the
  figures its table declares with role `dominance` (never published themselves);
- rows the secondary suppression (engine.publish.secondary) chose are hidden like small ones, so no hidden cost can
  be recovered by taking shown rows from a published total.

Which column is a count, and which figures rest on which count, is declared in each metric's SQL header (see
engine.metrics.catalog), so the rules are written once and applied to every table alike.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from engine.config import SuppressionSection
from engine.metrics.catalog import ColumnDoc

_DEFAULTS = SuppressionSection.model_fields
RATE_DECIMALS = 2
# Keys that name the provider, not the cell: a benchmark cell is every other key of the row.
PROVIDER_KEYS = frozenset({"org_code", "provider_name", "provider_type"})


@dataclass(frozen=True)
class SuppressionRule:
    enabled: bool = True
    smallest_shown: int = _DEFAULTS["smallest_shown"].default
    round_to: int = _DEFAULTS["round_to"].default
    benchmark_min_providers: int = _DEFAULTS["benchmark_min_providers"].default
    protection_percent: float = _DEFAULTS["protection_percent"].default
    dominance_p_percent: float = _DEFAULTS["dominance_p_percent"].default
    dominance_k_percent: float = _DEFAULTS["dominance_k_percent"].default

    @classmethod
    def from_config(cls, section: SuppressionSection) -> SuppressionRule:
        return cls(
            enabled=section.enabled,
            smallest_shown=section.smallest_shown,
            round_to=section.round_to,
            benchmark_min_providers=section.benchmark_min_providers,
            protection_percent=section.protection_percent,
            dominance_p_percent=section.dominance_p_percent,
            dominance_k_percent=section.dominance_k_percent,
        )

    def sentence(self) -> str:
        """The rule in one sentence, for every place that tells people what is hidden: the same words everywhere."""
        if not self.enabled:
            return (
                "Small-number suppression is OFF in this ICS's config ([suppression] enabled = false): these figures "
                "are not fit to share outside the costing team."
            )
        return (
            f"Counts of 1 to {self.smallest_shown - 1} are blank, other counts are rounded to the nearest "
            f"{self.round_to}, and figures built on a blank count are blank too; a zero stays zero. Costs and other "
            f"totals are shown at the rounded count, rates to {RATE_DECIMALS} decimal places, medians and best in "
            f"system only where at least {self.benchmark_min_providers} providers are all shown. A cost made up "
            f"mostly by one or two patients is blank (the others' cost under {self.dominance_p_percent:g}% of the "
            f"largest, or the largest two at least {self.dominance_k_percent:g}% of it), and so is a cost from fewer "
            f"than {self.smallest_shown} patients however many records it has, and some larger cells are "
            "blank as well so a blank one cannot be worked out from the totals around it."
        )

    def hidden_text(self) -> str:
        """What a blank figure says, wherever a person meets one (Excel functions, workbooks, Power BI): the same words
        whichever rule hid it. The reason is not told: "dominated" would say the cell has at least the smallest count
        shown and one very costly record, and "protects another" that it is not small, both things the blank hides."""
        return f"suppressed: fewer than {self.smallest_shown} cases, or hidden so no patient's cost can be worked out"

    def column_note(self) -> str:
        """What happens to a count column, in a few words (the docs' tables)."""
        return f"count: blank if 1-{self.smallest_shown - 1}, else rounded to {self.round_to}"

    def hidden(self, counts: pa.ChunkedArray) -> pa.ChunkedArray:
        """True where a count could identify someone (1 to smallest_shown - 1), or is unknown (fail closed)."""
        small = pc.and_(pc.greater(counts, 0), pc.less(counts, self.smallest_shown))
        return pc.fill_null(pc.cast(small, pa.bool_()), True)

    def rounded(self, counts: pa.ChunkedArray) -> pa.ChunkedArray:
        """Counts rounded to the nearest round_to, halves up, in the column's own type."""
        as_float = pc.cast(counts, pa.float64())
        steps = pc.round(pc.divide(as_float, float(self.round_to)), round_mode="half_up")
        return pc.cast(pc.multiply(steps, float(self.round_to)), counts.type)

    def scale(self, counts: pa.ChunkedArray) -> pa.ChunkedArray:
        """rounded / true count: what a total is multiplied by to be published at the rounded count (1 at zero)."""
        true = pc.cast(counts, pa.float64())
        factor = pc.divide(pc.cast(self.rounded(counts), pa.float64()), true)
        return pc.if_else(pc.equal(true, 0.0), 1.0, factor)


def small_hidden(table: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule) -> dict[str, pa.ChunkedArray]:
    """For each count column, the rows where it is hidden by the small-number rule alone."""
    return {c.name: rule.hidden(table[c.name]) for c in columns if c.role == "count"}


def primary_hidden(table: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule) -> dict[str, pa.ChunkedArray]:
    """For each count column, the rows hidden before secondary suppression: a small count, or a dominated cost."""
    hidden = small_hidden(table, columns, rule)
    for count, more in dominated(table, columns, rule).items():
        hidden[count] = pc.or_(hidden[count], more)
    return hidden


DOMINANCE_PARTS = ("total", "largest", "second", "contributors")


def dominated(table: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule) -> dict[str, pa.ChunkedArray]:
    """For each count column whose cell has dominance figures, True where one or two contributors dominate its cost,
    or too few contributors make it up (any of its costs, where the cell has several: `dominance ... of X for F`).

    With T the cell's cost and x1 >= x2 its two largest contributors' costs (a contributor is a patient, their
    records in the cell added up, or a record without a patient: sql/metrics/cell_dominance.sql), all by size (a
    credit counts as positive, as statistical agencies apply the rule): the p% rule hides it when T - x1 - x2 < p%
    of x1 (the second largest contributor, knowing its own, could then estimate the largest that closely), the nk
    rule when x1 + x2 >= k% of T. The threshold rule hides it when its contributors of non-zero cost number 1 to
    smallest_shown - 1: the count of records can pass rule 1 while a few patients' repeated records make up the
    money, and a Trusted Research Environment's output checker counts the contributors of a magnitude cell. A cell
    with no record of non-zero cost has nothing to protect; one without its figures (null) likewise, as the SQL
    leaves them out only for such cells (tests/engine/publish check it on a refresh)."""
    parts: dict[tuple[str, str | None], dict[str, str]] = {}
    for c in columns:
        if c.role == "dominance" and c.source is not None and c.part is not None:
            parts.setdefault((c.source, c.figure), {})[c.part] = c.name
    out: dict[str, pa.ChunkedArray] = {}
    for (count, figure), names in parts.items():
        if set(names) != set(DOMINANCE_PARTS):
            of = f"{count} for {figure}" if figure else count
            raise ValueError(f"the dominance rule for {of} needs its {', '.join(DOMINANCE_PARTS)}")
        total, largest, second, contributors = (
            pc.fill_null(pc.cast(table[names[p]], pa.float64()), 0.0) for p in DOMINANCE_PARTS
        )
        rest = pc.subtract(pc.subtract(total, largest), second)
        p_rule = pc.less(rest, pc.multiply(largest, rule.dominance_p_percent / 100))
        nk_rule = pc.greater_equal(pc.add(largest, second), pc.multiply(total, rule.dominance_k_percent / 100))
        few = pc.less(contributors, float(rule.smallest_shown))
        positive = pc.greater(largest, 0.0)
        hidden = pc.and_(positive, pc.or_(pc.or_(p_rule, nk_rule), few))
        # several money figures on one count (clinical_support's pharmacy, imaging, pathology): any dominated hides it
        out[count] = pc.or_(out[count], hidden) if count in out else hidden
    return out


def suppress(
    table: pa.Table,
    columns: Sequence[ColumnDoc],
    rule: SuppressionRule,
    secondary: Mapping[str, pa.ChunkedArray | pa.Array] | None = None,
) -> pa.Table:
    """The published form of a result table. Fails closed: a column without a declared role is an error.

    `secondary` adds, for a count column, rows hidden by secondary suppression (True = hide) on top of the small
    ones."""
    roles = {c.name: c for c in columns}
    undeclared = [name for name in table.column_names if name not in roles]
    if undeclared:
        raise ValueError(f"columns without a suppression role: {', '.join(undeclared)}")
    if not rule.enabled:
        return table.select([name for name in table.column_names if roles[name].published])
    hidden = primary_hidden(table, columns, rule)
    for name, more in (secondary or {}).items():
        hidden[name] = pc.or_(hidden[name], pc.fill_null(more, False))
    unsafe = _benchmark_unsafe(table, columns, rule, hidden)
    out = []
    names = [name for name in table.column_names if roles[name].published]
    for name in names:
        column = table[name]
        doc = roles[name]
        if doc.role == "count":
            column = pc.if_else(hidden[name], pa.scalar(None, column.type), rule.rounded(column))
        elif doc.role == "benchmark":
            column = pc.if_else(unsafe, pa.scalar(None, column.type), column)
        elif doc.role == "from" and doc.source is not None:
            blank = hidden[doc.source]
            if doc.against is not None:
                # compared with a benchmark: hidden where it could echo; with another figure: where that is hidden
                against = roles[doc.against]
                blank = pc.or_(blank, unsafe if against.role == "benchmark" else hidden[str(against.source)])
            shown = _scaled(column, rule.scale(table[doc.source])) if doc.total else _rate(column)
            column = pc.if_else(blank, pa.scalar(None, column.type), shown)
        out.append(column)
    return pa.Table.from_arrays(out, names=names)


def benchmark_cells(columns: Sequence[ColumnDoc]) -> list[str]:
    """The key columns that name a benchmark cell: every key but the provider's."""
    return [c.name for c in columns if c.role == "key" and c.name not in PROVIDER_KEYS]


def provider_counts(columns: Sequence[ColumnDoc]) -> list[str]:
    """The count columns of the provider's own rows (not the ICS-wide ones) that the row's figures rest on."""
    return [c.name for c in columns if c.role == "count" and not c.name.startswith("ics_")]


def _benchmark_unsafe(
    table: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule, hidden: Mapping[str, pa.ChunkedArray]
) -> pa.ChunkedArray:
    """True for rows of a cell whose benchmarks could echo a hidden provider: too few providers, or one hidden."""
    if not any(c.role == "benchmark" for c in columns):
        return pa.chunked_array([pa.array([False] * table.num_rows, type=pa.bool_())])
    keys = benchmark_cells(columns)
    counts = provider_counts(columns)
    any_hidden = pa.array([False] * table.num_rows, type=pa.bool_())
    for name in counts:
        any_hidden = pc.or_(any_hidden, hidden[name])
    marks = pa.table({"cell_row": pa.array(range(table.num_rows)), "hidden_row": any_hidden}).append_column(
        "cell", _cell_ids(table, keys)
    )
    per_cell = marks.group_by("cell").aggregate([("cell_row", "count"), ("hidden_row", "any")])
    bad = pc.or_(pc.less(per_cell["cell_row_count"], rule.benchmark_min_providers), per_cell["hidden_row_any"])
    bad_cells = pc.filter(per_cell["cell"], bad).combine_chunks()
    return pc.is_in(marks["cell"], value_set=pa.array(bad_cells.to_pylist(), type=pa.string()))


def _cell_ids(table: pa.Table, keys: Sequence[str]) -> pa.Array:
    """One string per row naming its cell (the keys joined), so rows of the same cell can be grouped."""
    if not keys:
        return pa.array([""] * table.num_rows, type=pa.string())
    parts = [pc.fill_null(pc.cast(table[k], pa.string()), "\u2400") for k in keys]
    return pc.binary_join_element_wise(*parts, "\u241f").combine_chunks()


def _scaled(column: pa.ChunkedArray, factor: pa.ChunkedArray) -> pa.ChunkedArray:
    """A total published at the rounded count, rounded to pennies (or whole numbers for a whole-number column)."""
    scaled = pc.multiply(pc.cast(column, pa.float64()), factor)
    if pa.types.is_integer(column.type) or (pa.types.is_decimal(column.type) and column.type.scale == 0):
        return pc.cast(pc.round(scaled, 0), column.type, safe=False)
    if pa.types.is_decimal(column.type):
        return pc.cast(pc.round(scaled, RATE_DECIMALS), column.type, safe=False)
    return scaled


def _rate(column: pa.ChunkedArray) -> pa.ChunkedArray:
    """A rate (a mean, a share, a z score) to two decimal places: fine enough to read, too coarse to pin a count."""
    if pa.types.is_floating(column.type):
        return pc.round(column, RATE_DECIMALS)
    if pa.types.is_decimal(column.type) and column.type.scale > RATE_DECIMALS:
        return pc.cast(pc.round(pc.cast(column, pa.float64()), RATE_DECIMALS), column.type, safe=False)
    return column
