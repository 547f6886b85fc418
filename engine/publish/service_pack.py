"""The service pack: one service line's benchmarks as the ICS shares them with a service group (HTML and PDF).

It reproduces the seed's flagship slide for one service (cost, cases, length of stay, opportunity against the ICS,
the best in system and national, theatre time and spend by provider), then the funnel plot, opportunity by cost
driver, length of stay, ward cost per bed day, the patient profile, the trend by quarter, the data-quality notes,
"how to read this" and the costing lead's commentary. Every figure comes from the published (suppressed) tables of
the last refresh, never from the store's full results: a hidden figure shows as a dot, and the pack is shareable as
the published files are. Each figure in a table carries `data-source` (table, column and row) so a reader, or a
test, can trace it back to the published table it came from.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import markdown
from jinja2 import Environment, FileSystemLoader, select_autoescape

from engine.config import IcsConfig, ServiceLineSpec
from engine.errors import IcsBenchError
from engine.publish import pack_charts
from engine.publish.published_results import published_table

Row = Mapping[str, Any]
HIDDEN = "·"
TABLES = (
    "service_line_benchmark",
    "service_line_drivers",
    "service_line_wards",
    "service_line_los",
    "service_line_profile",
    "costing_quality",
    "period_alignment",
    "dim_provider",
)
AGE_BANDS = ("0-17", "18-64", "65-74", "75-84", "85+", "unknown")
IMD_DECILES = (*(str(d) for d in range(1, 11)), "unknown")
LOS_BANDS = ("0", "1-2", "3-7", "8-14", "15-28", "29+")


def pounds(value: Any) -> str:
    amount = float(value)
    return f"-£{-amount:,.0f}" if amount < -0.5 else f"£{abs(amount):,.0f}"


def count(value: Any) -> str:
    return f"{int(value):,}"


def one_decimal(value: Any) -> str:
    return f"{float(value):,.1f}"


def whole(value: Any) -> str:
    return f"{float(value):,.0f}"


def percent(value: Any) -> str:
    return f"{float(value):.0%}"


def signed_percent(value: Any) -> str:
    return f"{float(value):+.1%}"


def ratio(value: Any) -> str:
    return f"{float(value):.3f}"


@dataclass(frozen=True)
class Cell:
    """One figure as shown, and where it comes from: table:column:row key (blank for a label)."""

    text: str
    source: str = ""
    hidden: bool = False


def figure(table: str, column: str, key: str, row: Row, fmt: Callable[[Any], str]) -> Cell:
    value = row.get(column)
    if value is None:
        return Cell(HIDDEN, f"{table}:{column}:{key}", hidden=True)
    return Cell(fmt(value), f"{table}:{column}:{key}")


@dataclass
class Pack:
    """What the pack shows: the rows read from the published tables, and the charts drawn from them."""

    service: ServiceLineSpec
    fin_year: str
    refresh_id: int
    ics_name: str
    rows: dict[str, list[dict[str, Any]]]
    commentary_html: str | None
    commentary_hint: str
    charts: dict[str, str] = field(default_factory=dict)

    def year_rows(self) -> list[dict[str, Any]]:
        return sorted(
            (
                r
                for r in self.rows["service_line_benchmark"]
                if r["fin_year"] == self.fin_year and r["period"] == "year"
            ),
            key=lambda r: r["org_code"],
        )

    def quarter_rows(self) -> list[dict[str, Any]]:
        return sorted(
            (r for r in self.rows["service_line_benchmark"] if r["period"] != "year"),
            key=lambda r: (r["fin_year"], r["period"], r["org_code"]),
        )

    def provider_name(self, org: str) -> str:
        return next((r["provider_name"] for r in self.rows["dim_provider"] if r["org_code"] == org), org)


def read_pack(config: IcsConfig, service_name: str, fin_year: str | None = None) -> Pack:
    """The published rows of one service line for one year (the latest it has, unless given)."""
    service = config.service_line(service_name)
    rows: dict[str, list[dict[str, Any]]] = {}
    refresh_id = 0
    for name in TABLES:
        refresh_id, table = published_table(config, name)
        found = table.to_pylist()
        if "service_line" in table.column_names:
            found = [r for r in found if r["service_line"] == service.name]
        rows[name] = found
    years = sorted({r["fin_year"] for r in rows["service_line_benchmark"]})
    if not years:
        raise IcsBenchError(
            f"service line {service.name!r} has no records in the last refresh: check its pods and hrgs in the "
            "config, or refresh after adding it"
        )
    chosen = fin_year or years[-1]
    if chosen not in years:
        raise IcsBenchError(f"service line {service.name!r} has no records in {chosen}; it has {', '.join(years)}")
    orgs = {r["org_code"] for r in rows["service_line_benchmark"] if r["fin_year"] == chosen}
    for name in ("costing_quality", "period_alignment"):
        rows[name] = [r for r in rows[name] if r["fin_year"] == chosen and r["org_code"] in orgs]
    for name in ("service_line_drivers", "service_line_wards", "service_line_los", "service_line_profile"):
        rows[name] = [r for r in rows[name] if r["fin_year"] == chosen]
    commentary_html, hint = _commentary(config, service)
    pack = Pack(service, chosen, refresh_id, config.ics.name, rows, commentary_html, hint)
    pack.charts = _charts(pack)
    return pack


def _commentary(config: IcsConfig, service: ServiceLineSpec) -> tuple[str | None, str]:
    path = config.commentary_path(service)
    if path is None:
        return None, (
            f'No commentary yet: write it in a Markdown file and name it in the config, commentary = "..." under the '
            f"[[service_lines]] entry for {service.name}."
        )
    if not path.is_file():
        raise IcsBenchError(
            f"the commentary file {path} named for service line {service.name!r} does not exist: write it, or "
            "remove commentary from the config"
        )
    return markdown.markdown(path.read_text(encoding="utf-8")), ""


def _data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def _charts(pack: Pack) -> dict[str, str]:
    year = pack.year_rows()
    ics_mean = next((r["ics_mean_cost"] for r in year if r["ics_mean_cost"] is not None), None)
    profile = pack.rows["service_line_profile"]
    return {
        "funnel": _data_uri(pack_charts.funnel(year, ics_mean)),
        "drivers": _data_uri(pack_charts.opportunity_by_driver(pack.rows["service_line_drivers"])),
        "los": _data_uri(
            pack_charts.bars_against_ics(year, "mean_los", "ics_mean_los", "mean length of stay, days", money=False)
        ),
        "los_bands": _data_uri(
            pack_charts.profile(
                [{**r, "measure": "los_band", "category": r["los_band"]} for r in pack.rows["service_line_los"]],
                "los_band",
                LOS_BANDS,
            )
        ),
        "wards": _data_uri(pack_charts.ward_costs(pack.rows["service_line_wards"])),
        "age": _data_uri(pack_charts.profile(profile, "age_band", AGE_BANDS)),
        "imd": _data_uri(pack_charts.profile(profile, "imd_decile", IMD_DECILES)),
        "trend": _data_uri(pack_charts.trend(pack.quarter_rows())),
    }


def _headline(pack: Pack) -> list[tuple[str, Cell]]:
    """The seed slide's headline figures for the ICS as a whole (from the ICS columns of any provider's row)."""
    year = pack.year_rows()
    first = next((r for r in year if r["ics_activity"] is not None), year[0])
    key = f"{first['org_code']}:{pack.fin_year}:year"
    best = first["best_in_system_org"]
    return [
        ("Cases", figure("service_line_benchmark", "ics_activity", key, first, count)),
        ("System cost", figure("service_line_benchmark", "ics_total_cost", key, first, pounds)),
        ("Mean cost per case", figure("service_line_benchmark", "ics_mean_cost", key, first, pounds)),
        ("Average length of stay, days", figure("service_line_benchmark", "ics_mean_los", key, first, one_decimal)),
        (
            "Average procedure (theatre) minutes per case",
            figure("service_line_benchmark", "ics_theatre_minutes_per_case", key, first, whole),
        ),
        ("Best in system", Cell(f"{best} ({pack.provider_name(best)})" if best else "none (too few cases)")),
        ("Best in system mean cost", figure("service_line_benchmark", "best_in_system_cost", key, first, pounds)),
        (
            "National mean cost (ICS case mix)",
            figure("service_line_benchmark", "ics_national_mean_cost", key, first, pounds),
        ),
        *_provider_sums(pack),
    ]


def _provider_sums(pack: Pack) -> list[tuple[str, Cell]]:
    """Opportunity and spend against national added up over the providers, as the seed's slide shows them; a sum is
    shown only when every provider's figure is (a total with a hidden part would understate)."""
    sums = (
        ("Opportunity vs best in system (sum over providers)", "opportunity_vs_best"),
        ("Opportunity vs ICS (sum over providers)", "opportunity_vs_ics"),
        ("Opportunity vs national (sum over providers)", "opportunity_vs_national"),
        ("Spend against national (cost - cost at national prices)", "net_vs_national"),
    )
    out = []
    for label, column in sums:
        values = [r[column] for r in pack.year_rows()]
        source = f"service_line_benchmark:{column}:SUM:{pack.fin_year}:year"
        if any(v is None for v in values):
            out.append((label, Cell(HIDDEN, source, hidden=True)))
        else:
            out.append((label, Cell(pounds(sum(float(v) for v in values)), source)))
    return out


def _provider_table(pack: Pack) -> list[list[Cell]]:
    columns: Sequence[tuple[str, Callable[[Any], str]]] = (
        ("activity", count),
        ("total_cost", pounds),
        ("mean_cost", pounds),
        ("mean_los", one_decimal),
        ("theatre_minutes_per_case", whole),
        ("theatre_cost", pounds),
        ("national_mean_cost", pounds),
        ("opportunity_vs_ics", pounds),
        ("opportunity_vs_best", pounds),
        ("opportunity_vs_national", pounds),
        ("net_vs_ics", pounds),
        ("significant_vs_ics", pounds),
        ("outlier_95", str),
        ("costing_score", whole),
    )
    out = []
    for row in pack.year_rows():
        key = f"{row['org_code']}:{pack.fin_year}:year"
        cells = [Cell(f"{row['org_code']} {pack.provider_name(row['org_code'])}")]
        cells += [figure("service_line_benchmark", column, key, row, fmt) for column, fmt in columns]
        out.append(cells)
    return out


def _driver_table(pack: Pack) -> list[list[Cell]]:
    out = []
    for row in sorted(pack.rows["service_line_drivers"], key=lambda r: (r["cost_driver"], r["org_code"])):
        key = f"{row['org_code']}:{pack.fin_year}:{row['cost_driver']}"
        out.append(
            [
                Cell(row["cost_driver"]),
                Cell(row["org_code"]),
                figure("service_line_drivers", "cost_per_unit", key, row, pounds),
                figure("service_line_drivers", "ics_cost_per_unit", key, row, pounds),
                figure("service_line_drivers", "best_in_system_cost", key, row, pounds),
                figure("service_line_drivers", "opportunity_vs_ics", key, row, pounds),
                figure("service_line_drivers", "opportunity_vs_best", key, row, pounds),
                figure("service_line_drivers", "outlier_95", key, row, str),
            ]
        )
    return out


def _ward_table(pack: Pack) -> list[list[Cell]]:
    out = []
    for row in sorted(pack.rows["service_line_wards"], key=lambda r: (r["org_code"], -(r["bed_days"] or 0), r["ward"])):
        key = f"{row['org_code']}:{pack.fin_year}:{row['ward']}"
        out.append(
            [
                Cell(row["org_code"]),
                Cell(row["ward"]),
                figure("service_line_wards", "episodes", key, row, count),
                figure("service_line_wards", "bed_days", key, row, whole),
                figure("service_line_wards", "ward_cost", key, row, pounds),
                figure("service_line_wards", "cost_per_bed_day", key, row, pounds),
            ]
        )
    return out


def _trend_table(pack: Pack) -> list[list[Cell]]:
    out = []
    for row in pack.quarter_rows():
        key = f"{row['org_code']}:{row['fin_year']}:{row['period']}"
        out.append(
            [
                Cell(f"{row['fin_year']} {row['period']}"),
                Cell(row["org_code"]),
                figure("service_line_benchmark", "activity", key, row, count),
                figure("service_line_benchmark", "mean_cost", key, row, pounds),
                figure("service_line_benchmark", "change_vs_previous", key, row, signed_percent),
                figure("service_line_benchmark", "rolling_mean_cost", key, row, pounds),
                figure("service_line_benchmark", "ics_mean_cost", key, row, pounds),
            ]
        )
    return out


def _los_table(pack: Pack) -> list[list[Cell]]:
    out = []
    for row in sorted(pack.rows["service_line_los"], key=lambda r: (r["org_code"], r["band_order"])):
        key = f"{row['org_code']}:{pack.fin_year}:{row['los_band']}"
        out.append(
            [
                Cell(row["org_code"]),
                Cell(f"{row['los_band']} days"),
                figure("service_line_los", "spells", key, row, count),
                figure("service_line_los", "share", key, row, percent),
                figure("service_line_los", "ics_share", key, row, percent),
            ]
        )
    return out


def _conditions_table(pack: Pack) -> list[list[Cell]]:
    out = []
    rows = [r for r in pack.rows["service_line_profile"] if r["measure"] == "condition"]
    for row in sorted(rows, key=lambda r: (r["category"], r["org_code"])):
        key = f"{row['org_code']}:{pack.fin_year}:condition:{row['category']}"
        out.append(
            [
                Cell(row["category"]),
                Cell(row["org_code"]),
                figure("service_line_profile", "patients", key, row, count),
                figure("service_line_profile", "share", key, row, percent),
                figure("service_line_profile", "ics_share", key, row, percent),
            ]
        )
    return out


def _quality_notes(pack: Pack) -> list[str]:
    notes = []
    months = {r["org_code"]: r["months_loaded"] for r in pack.rows["period_alignment"]}
    aligned = {r["aligned"] for r in pack.rows["period_alignment"]}
    if aligned == {0}:
        loaded = ", ".join(f"{org} {n} months" for org, n in sorted(months.items()))
        notes.append(
            f"The providers did not load the same months of {pack.fin_year} ({loaded}): the year pools unlike periods. "
            'Set pool_periods = "common" under [benchmarks] to compare only the months every provider loaded.'
        )
    quality = [r for r in pack.rows["costing_quality"] if r["period"] == "year"]
    for org in sorted({r["org_code"] for r in quality}):
        failed = [r for r in quality if r["org_code"] == org and r["passed"] == 0]
        for row in sorted(failed, key=lambda r: r["position"]):
            notes.append(f"{org}: {row['check_name']} is outside its range ({row['explanation']}).")
    return notes


def _quality_table(pack: Pack) -> list[list[Cell]]:
    out = []
    scores = {r["org_code"]: r for r in pack.rows["costing_quality"] if r["period"] == "year"}
    for org, row in sorted(scores.items()):
        key = f"{org}:{pack.fin_year}:year"
        out.append(
            [
                Cell(org),
                figure("costing_quality", "score", key, row, whole),
                figure("costing_quality", "checks_passed", key, row, count),
                figure("costing_quality", "checks_measured", key, row, count),
            ]
        )
    return out


def render_html(pack: Pack, *, generated_at: datetime | None = None) -> str:
    """The pack as one self-contained HTML page (charts embedded), ready for a browser or WeasyPrint."""
    environment = Environment(
        loader=FileSystemLoader(Path(__file__).parent / "templates"),
        autoescape=select_autoescape(["html", "j2"]),
    )
    template = environment.get_template("service_pack.html.j2")
    return template.render(
        pack=pack,
        service=pack.service,
        headline=_headline(pack),
        providers=_provider_table(pack),
        drivers=_driver_table(pack),
        wards=_ward_table(pack),
        los=_los_table(pack),
        trend=_trend_table(pack),
        conditions=_conditions_table(pack),
        quality=_quality_table(pack),
        notes=_quality_notes(pack),
        hidden=HIDDEN,
        generated_at=(generated_at or datetime.now(UTC)).strftime("%d %B %Y %H:%M UTC"),
    )


def write_pdf(html: str, path: Path) -> None:
    """The same page as a PDF (WeasyPrint: HTML and CSS to PDF, no browser needed). WeasyPrint needs the Pango text
    libraries, which Linux has but a Windows desktop only has once they are installed: without them the HTML pack
    still stands and the user is told how to get the PDF."""
    try:
        from weasyprint import HTML
    except (ImportError, OSError) as exc:
        raise IcsBenchError(
            f"the HTML pack is written, but not the PDF {path.name}: making a PDF needs WeasyPrint and its Pango "
            f"libraries, which this computer lacks ({type(exc).__name__}: {exc}). Open the HTML in a browser and "
            "print it to PDF, or ask IT to install Pango (docs/service-packs.md), or add --no-pdf"
        ) from exc
    HTML(string=html).write_pdf(path)
