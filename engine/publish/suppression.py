"""Small-number suppression (HES disclosure control) for everything published.

Counts of 1 to `smallest_shown - 1` records are hidden and every other count is rounded to the nearest `round_to`;
a figure built on a hidden count (a mean, a total, an opportunity) is hidden with it, and so is a figure whose count
is missing (fail closed). A zero stays a zero: "no activity" is not disclosive. Which column is a count, and which
figures rest on which count, is declared in each metric's SQL header (see engine.metrics.catalog), so the rule is
written once and applied to every table alike.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pyarrow as pa
import pyarrow.compute as pc

from engine.config import SuppressionSection
from engine.metrics.catalog import ColumnDoc


@dataclass(frozen=True)
class SuppressionRule:
    enabled: bool = True
    smallest_shown: int = SuppressionSection.model_fields["smallest_shown"].default
    round_to: int = SuppressionSection.model_fields["round_to"].default

    @classmethod
    def from_config(cls, section: SuppressionSection) -> SuppressionRule:
        return cls(enabled=section.enabled, smallest_shown=section.smallest_shown, round_to=section.round_to)

    def sentence(self) -> str:
        """The rule in one sentence, for every place that tells people what is hidden: the same words everywhere."""
        if not self.enabled:
            return (
                "Small-number suppression is OFF in this ICS's config ([suppression] enabled = false): these figures "
                "are not fit to share outside the costing team."
            )
        return (
            f"Counts of 1 to {self.smallest_shown - 1} are blank, other counts are rounded to the nearest "
            f"{self.round_to}, and figures built on a blank count are blank too; a zero stays zero."
        )

    def column_note(self) -> str:
        """What happens to a count column, in a few words (the docs' tables)."""
        return f"count: blank if 1-{self.smallest_shown - 1}, else rounded to {self.round_to}"

    def hidden(self, counts: pa.ChunkedArray) -> pa.ChunkedArray:
        """True where a count could identify someone (1 to smallest_shown - 1), or is unknown (fail closed)."""
        small = pc.and_(pc.greater(counts, 0), pc.less(counts, self.smallest_shown))
        return pc.fill_null(small, True)

    def rounded(self, counts: pa.ChunkedArray) -> pa.ChunkedArray:
        """Counts rounded to the nearest round_to, halves up, in the column's own type."""
        as_float = pc.cast(counts, pa.float64())
        steps = pc.round(pc.divide(as_float, float(self.round_to)), round_mode="half_up")
        return pc.cast(pc.multiply(steps, float(self.round_to)), counts.type)


def suppress(table: pa.Table, columns: Sequence[ColumnDoc], rule: SuppressionRule) -> pa.Table:
    """The published form of a result table. Fails closed: a column without a declared role is an error."""
    roles = {c.name: c for c in columns}
    undeclared = [name for name in table.column_names if name not in roles]
    if undeclared:
        raise ValueError(f"columns without a suppression role: {', '.join(undeclared)}")
    if not rule.enabled:
        return table
    hidden = {c.name: rule.hidden(table[c.name]) for c in columns if c.role == "count"}
    out = []
    for name in table.column_names:
        column = table[name]
        doc = roles[name]
        if doc.role == "count":
            column = pc.if_else(hidden[name], pa.scalar(None, column.type), rule.rounded(column))
        elif doc.role == "from" and doc.source is not None:
            column = pc.if_else(hidden[doc.source], pa.scalar(None, column.type), column)
        out.append(column)
    return pa.Table.from_arrays(out, names=table.column_names)
