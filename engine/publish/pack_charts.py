"""The service pack's charts, drawn with matplotlib from published rows and returned as PNG bytes.

Each chart takes rows already suppressed (a hidden figure is None and is left out of the chart) and draws them as
they are: nothing here computes a benchmark. Figures are made without pyplot, so no global state is shared with
whatever else runs in the process (Excel's Python, a test run).
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from typing import Any

from matplotlib.figure import Figure

Row = Mapping[str, Any]
NHS_BLUE = "#005EB8"
PALETTE = ("#005EB8", "#ED8B00", "#009639", "#7C2855", "#00A9CE", "#425563", "#DA291C", "#330072")
LIMIT_GREY = "#768692"


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    return buffer.getvalue()


def _figure(width: float = 7.0, height: float = 3.2) -> Figure:
    figure = Figure(figsize=(width, height))
    figure.set_layout_engine("constrained")
    return figure


def _legend(axis: Any, **options: Any) -> None:
    """A legend for what was drawn; where every figure was hidden (too few cases), a sentence saying so instead."""
    if axis.get_legend_handles_labels()[0]:
        axis.legend(fontsize=7, **options)
    if not axis.has_data():
        axis.text(
            0.5,
            0.5,
            "Nothing to show: the figures are hidden (too few cases)",
            ha="center",
            va="center",
            transform=axis.transAxes,
            fontsize=9,
            color=LIMIT_GREY,
        )


def _pounds(axis: Any) -> None:
    axis.yaxis.set_major_formatter(lambda value, _: f"£{value:,.0f}")


def funnel(rows: Sequence[Row], ics_mean: float | None) -> bytes:
    """Mean cost per case against cases, each provider with its own 95% and 99.8% limits around the ICS mean."""
    figure = _figure()
    axis = figure.add_subplot()
    shown = [r for r in rows if r["mean_cost"] is not None and r["activity"] is not None]
    for number, row in enumerate(sorted(shown, key=lambda r: r["org_code"])):
        colour = PALETTE[number % len(PALETTE)]
        if row["funnel_lower_99_8"] is not None:
            axis.vlines(row["activity"], row["funnel_lower_99_8"], row["funnel_upper_99_8"], colors=LIMIT_GREY, lw=1)
            axis.vlines(row["activity"], row["funnel_lower_95"], row["funnel_upper_95"], colors=LIMIT_GREY, lw=4)
        axis.scatter([row["activity"]], [row["mean_cost"]], s=60, color=colour, zorder=3, label=row["org_code"])
    if ics_mean is not None:
        axis.axhline(ics_mean, color=NHS_BLUE, lw=1, ls="--", label="ICS mean")
    axis.set_xlabel("cases")
    axis.set_ylabel("mean cost per case")
    _pounds(axis)
    _legend(axis, ncols=3)
    axis.set_title("Funnel: each provider's mean cost and its 95% (thick) and 99.8% limits", fontsize=9)
    return _png(figure)


def opportunity_by_driver(drivers: Sequence[Row]) -> bytes:
    """Opportunity against the ICS by provider, stacked by cost driver."""
    figure = _figure()
    axis = figure.add_subplot()
    orgs = sorted({r["org_code"] for r in drivers})
    names = sorted({r["cost_driver"] for r in drivers if (r["opportunity_vs_ics"] or 0) > 0})
    bottoms = dict.fromkeys(orgs, 0.0)
    for number, driver in enumerate(names):
        heights = [
            next(
                (r["opportunity_vs_ics"] or 0.0 for r in drivers if r["org_code"] == o and r["cost_driver"] == driver),
                0,
            )
            for o in orgs
        ]
        axis.bar(orgs, heights, bottom=[bottoms[o] for o in orgs], color=PALETTE[number % len(PALETTE)], label=driver)
        for org, height in zip(orgs, heights, strict=True):
            bottoms[org] += height
    axis.set_ylabel("opportunity vs ICS")
    _pounds(axis)
    _legend(axis, ncols=4)
    axis.set_title("Opportunity against the ICS by cost driver (floored at 0 per driver)", fontsize=9)
    return _png(figure)


def bars_against_ics(rows: Sequence[Row], value: str, ics_value: str, label: str, *, money: bool) -> bytes:
    """One bar per provider for `value`, and the ICS figure as a line."""
    figure = _figure(7.0, 2.6)
    axis = figure.add_subplot()
    shown = sorted((r for r in rows if r[value] is not None), key=lambda r: r["org_code"])
    axis.bar([r["org_code"] for r in shown], [r[value] for r in shown], color=NHS_BLUE)
    ics = next((r[ics_value] for r in rows if r[ics_value] is not None), None)
    if ics is not None:
        axis.axhline(ics, color="#ED8B00", lw=1.5, ls="--", label="ICS")
    _legend(axis)
    axis.set_ylabel(label)
    if money:
        _pounds(axis)
    return _png(figure)


def ward_costs(wards: Sequence[Row], per_provider: int = 5) -> bytes:
    """Cost per bed day of each provider's busiest wards for the service (by bed days)."""
    shown = [w for w in wards if w["cost_per_bed_day"] is not None]
    chosen: list[Row] = []
    for org in sorted({w["org_code"] for w in shown}):
        mine = sorted((w for w in shown if w["org_code"] == org), key=lambda w: -(w["bed_days"] or 0))
        chosen += mine[:per_provider]
    figure = _figure(7.0, max(2.0, 0.28 * len(chosen) + 0.8))
    axis = figure.add_subplot()
    labels = [f"{w['org_code']} {w['ward']}" for w in chosen]
    orgs = sorted({w["org_code"] for w in chosen})
    colours = [PALETTE[orgs.index(w["org_code"]) % len(PALETTE)] for w in chosen]
    axis.barh(labels, [w["cost_per_bed_day"] for w in chosen], color=colours)
    _legend(axis)
    axis.invert_yaxis()
    axis.xaxis.set_major_formatter(lambda value, _: f"£{value:,.0f}")
    axis.set_xlabel("ward cost per bed day")
    axis.tick_params(axis="y", labelsize=7)
    return _png(figure)


def profile(rows: Sequence[Row], measure: str, categories: Sequence[str]) -> bytes:
    """Share of each provider's patients (and the ICS's) in each category of `measure`."""
    figure = _figure(7.0, 2.6)
    axis = figure.add_subplot()
    mine = [r for r in rows if r["measure"] == measure]
    orgs = sorted({r["org_code"] for r in mine})
    width = 0.8 / (len(orgs) + 1)
    positions = range(len(categories))
    for number, org in enumerate([*orgs, "ICS"]):
        if org == "ICS":
            shares = [next((r["ics_share"] for r in mine if r["category"] == c), None) for c in categories]
        else:
            shares = [
                next((r["share"] for r in mine if r["org_code"] == org and r["category"] == c), None)
                for c in categories
            ]
        axis.bar(
            [p + number * width for p in positions],
            [s or 0.0 for s in shares],
            width=width,
            color=LIMIT_GREY if org == "ICS" else PALETTE[number % len(PALETTE)],
            label=org,
        )
    axis.set_xticks([p + width * len(orgs) / 2 for p in positions], list(categories), fontsize=7)
    axis.yaxis.set_major_formatter(lambda value, _: f"{value:.0%}")
    _legend(axis, ncols=6)
    return _png(figure)


def trend(quarters: Sequence[Row]) -> bytes:
    """Mean cost per case by quarter for each provider, and the ICS's."""
    figure = _figure()
    axis = figure.add_subplot()
    periods = sorted({(r["fin_year"], r["period"]) for r in quarters})
    labels = [f"{year} {period}" for year, period in periods]
    for number, org in enumerate(sorted({r["org_code"] for r in quarters})):
        values = [
            next((r["mean_cost"] for r in quarters if r["org_code"] == org and (r["fin_year"], r["period"]) == p), None)
            for p in periods
        ]
        axis.plot(
            labels,
            [v if v is not None else float("nan") for v in values],
            marker="o",
            label=org,
            color=PALETTE[number % len(PALETTE)],
        )
    ics = [next((r["ics_mean_cost"] for r in quarters if (r["fin_year"], r["period"]) == p), None) for p in periods]
    axis.plot(labels, [v if v is not None else float("nan") for v in ics], ls="--", color=LIMIT_GREY, label="ICS")
    axis.set_ylabel("mean cost per case")
    _pounds(axis)
    axis.tick_params(axis="x", labelsize=7)
    _legend(axis, ncols=6)
    return _png(figure)
