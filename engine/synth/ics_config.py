"""The ICS config (ics.toml) that describes exactly the files the generator wrote, and the population, long-term
conditions and pathways the generator used (from `ics_definitions`, so the two cannot drift apart)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from engine import config, reference
from engine.synth.ics_definitions import CONDITIONS, PATHWAYS, PLACES, Events, Step
from engine.synth.layouts import SEED_STYLE, SEED_STYLE_MAPPING, WIDE_COST_COLUMNS
from engine.synth.providers import PROVIDERS, SETTING_ORDER, ProviderSpec

ICS_NAME: Final = "Lancashire and South Cumbria (synthetic)"
NATIONAL_NAME: Final = "England, national-shaped ({providers} providers, synthetic)"
_SETTING_NAMES: Final = {
    "apc": "admitted patient care",
    "op": "outpatients",
    "ec": "emergency care",
    "cc": "critical care",
    "mh": "mental health",
    "chs": "community health services",
}


def _string(value: str) -> str:
    """A TOML basic string (JSON string escaping is valid TOML)."""
    return json.dumps(value, ensure_ascii=False)


def _extract(pattern: str, setting: str, layout: str, **extra: str) -> list[str]:
    lines = ["[[extracts]]", f"pattern = {_string(pattern)}", f"setting = {_string(setting)}"]
    lines.append(f"layout = {_string(layout)}")
    lines.extend(f"{key} = {_string(value)}" for key, value in extra.items())
    return [*lines, ""]


def _strings(values: tuple[str, ...]) -> str:
    """A TOML array of strings."""
    return "[" + ", ".join(_string(v) for v in values) + "]"


def _filters(events: Events) -> list[str]:
    """The set filters of an index or step as inline-table entries."""
    named = (
        ("settings", events.settings),
        ("pods", events.pods),
        ("diagnoses", events.diagnoses),
        ("hrgs", events.hrgs),
        ("services", events.services),
    )
    return [f"{key} = {_strings(values)}" for key, values in named if values]


def _step(step: Step) -> str:
    entries = [f"name = {_string(step.name)}", *_filters(step.events), f"window = {_string(step.window)}"]
    if step.to_day is not None:
        entries.append(f"to_day = {step.to_day}")
    return "  { " + ", ".join(entries) + " },"


def _population(scale: float, gp_list_sizes: str) -> list[str]:
    out = [
        "[population]",
        "# The ICS's residents: local authority districts (IMD 2019 names), grouped into places.",
        f"districts = {_strings(reference.LANCASHIRE_AND_SOUTH_CUMBRIA)}",
        "# The synthetic residents stand for this share of the reference population (1 for real data).",
        f"scale = {float(scale)!r}",
        f"gp_list_sizes = {_string(gp_list_sizes)}",
        "",
    ]
    for place in PLACES:
        out += [
            "[[population.places]]",
            f"name = {_string(place.name)}",
            f"districts = {_strings(place.districts)}",
            "",
        ]
    return out


def _conditions() -> list[str]:
    out = ["# A patient has a condition in a year when any record has a primary diagnosis or service code that starts"]
    out += ["# with one of its codes."]
    for condition in CONDITIONS:
        out += [
            "[[long_term_conditions]]",
            f"name = {_string(condition.name)}",
            f"label = {_string(condition.label)}",
            f"diagnoses = {_strings(condition.diagnoses)}",
        ]
        if condition.services:
            out.append(f"services = {_strings(condition.services)}")
        out.append("")
    return out


def _pathways() -> list[str]:
    out = [
        "# Pathways: an index admission and the care that follows it, within days after discharge or during the stay."
    ]
    for pathway in PATHWAYS:
        out += [
            "[[pathways]]",
            f"name = {_string(pathway.name)}",
            f"label = {_string(pathway.label)}",
            "index = { " + ", ".join(_filters(pathway.index)) + " }",
            "steps = [",
            *(_step(step) for step in pathway.steps),
            "]",
            "",
        ]
    return out


def _service_lines() -> list[str]:
    """The starter service lines of the `icsbench init` template, so a synthetic ICS can be packed as it stands."""
    out = ["# Service lines: groups of records benchmarked as a whole (the icsbench init template's starter set)."]
    for service in config.starter_service_lines():
        out += ["[[service_lines]]", f"name = {_string(service.name)}"]
        out.append(f"settings = {_strings(tuple(service.settings))}")
        for key, values in (
            ("pods", service.pods),
            ("hrgs", service.hrgs),
            ("tfcs", service.tfcs),
            ("diagnoses", service.diagnoses),
        ):
            if values:
                out.append(f"{key} = {_strings(tuple(values))}")
        out.append("")
    return out


def render(
    *,
    seed: int,
    scale: float,
    fin_year: str,
    gp_list_sizes: str = "gp_list_sizes.csv",
    providers: tuple[ProviderSpec, ...] = PROVIDERS,
) -> str:
    """The config text (`scale` is the share of the reference population the residents stand for)."""
    name = ICS_NAME if providers == PROVIDERS else NATIONAL_NAME.format(providers=len(providers))
    out = [
        "# ICS PLICS Benchmarking config for a synthetic data set written by engine.synth",
        f"# (seed {seed}, scale {scale:g}, financial year {fin_year}).",
        "# Every provider, patient and NHS number in it is fictional; NHS numbers are from the 999 test range.",
        "# Loading needs a pseudonymisation key in the environment variable ICSBENCH_PSEUDONYM_KEY.",
        "",
        "[ics]",
        f"name = {_string(name)}",
        "",
    ]
    for spec in providers:
        out += [
            f"# {spec.code} provides: {', '.join(_SETTING_NAMES[s] for s in spec.settings)}.",
            "[[providers]]",
            f"code = {_string(spec.code)}",
            f"name = {_string(spec.name)}",
            f"type = {_string(spec.type)}",
            "",
        ]
    out += [
        "[store]",
        "# The DuckDB file, next to this config.",
        'path = "icsbench.duckdb"',
        "",
        "# Files are named {ORG}_{setting}_{YYYYYY}_Q{quarter}_{layout}.{parquet|csv}.",
        "# The first [[extracts]] pattern that matches a file name wins, so specific patterns come first.",
        "",
        "# ZZC sends admitted care activity with the seed script's headers (see [mappings.seed_style]).",
    ]
    out += _extract("ZZC_apc_*_activity.*", "apc", "activity", mapping=SEED_STYLE, provider="ZZC")
    out += ["# ZZE sends outpatients as one wide file: activity columns and one cost column per cost driver."]
    wide = _extract("ZZE_op_*_wide.*", "op", "wide", provider="ZZE")
    columns = ", ".join(f"{header} = {_string(driver)}" for header, driver in WIDE_COST_COLUMNS.items())
    out += [*wide[:-1], f"cost_columns = {{ {columns} }}", ""]
    out += ["# Everything else uses canonical column names."]
    for setting in SETTING_ORDER:
        out += [f"# {_SETTING_NAMES[setting].capitalize()}."]
        out += _extract(f"*_{setting}_*_activity.*", setting, "activity")
        out += _extract(f"*_{setting}_*_cost_lines.*", setting, "cost_lines")
    out += ["# Canonical column = local header.", f"[mappings.{SEED_STYLE}]"]
    out += [f"{canonical} = {_string(local)}" for canonical, local in SEED_STYLE_MAPPING.items()]
    out += ["", *_population(scale, gp_list_sizes), *_conditions(), *_pathways(), *_service_lines()]
    return "\n".join(out).rstrip("\n") + "\n"


def write(
    path: Path,
    *,
    seed: int,
    scale: float,
    fin_year: str,
    gp_list_sizes: str = "gp_list_sizes.csv",
    providers: tuple[ProviderSpec, ...] = PROVIDERS,
) -> Path:
    """Write ics.toml and return its path."""
    text = render(seed=seed, scale=scale, fin_year=fin_year, gp_list_sizes=gp_list_sizes, providers=providers)
    path.write_text(text, encoding="utf-8")
    return path
