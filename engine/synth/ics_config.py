"""The ICS config (ics.toml) that describes exactly the files the generator wrote."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Final

from engine.synth.layouts import SEED_STYLE, SEED_STYLE_MAPPING, WIDE_COST_COLUMNS
from engine.synth.providers import PROVIDERS, SETTING_ORDER

ICS_NAME: Final = "Lancashire and South Cumbria (synthetic)"
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


def render(*, seed: int, scale: float, fin_year: str) -> str:
    """The config text."""
    out = [
        "# ICS PLICS Benchmarking config for a synthetic data set written by engine.synth",
        f"# (seed {seed}, scale {scale:g}, financial year {fin_year}).",
        "# Every provider, patient and NHS number in it is fictional; NHS numbers are from the 999 test range.",
        "# Loading needs a pseudonymisation key in the environment variable ICSBENCH_PSEUDONYM_KEY.",
        "",
        "[ics]",
        f"name = {_string(ICS_NAME)}",
        "",
    ]
    for spec in PROVIDERS:
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
    return "\n".join(out) + "\n"


def write(path: Path, *, seed: int, scale: float, fin_year: str) -> Path:
    """Write ics.toml and return its path."""
    path.write_text(render(seed=seed, scale=scale, fin_year=fin_year), encoding="utf-8")
    return path
