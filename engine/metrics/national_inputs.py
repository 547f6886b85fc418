"""The national comparators as refresh inputs: the national schedule of each year, market forces factors, national
length-of-stay trim points and the constants that turn national cost into weighted activity units (WAU).

They come from the config (and the bundled NCC 2023/24 schedule) and are rebuilt at the start of each refresh
(sql/store/refresh_inputs.sql), so a schedule added or changed in ics.toml takes effect at the next refresh.
"""

from __future__ import annotations

import pyarrow as pa

from engine import reference
from engine.config import IcsConfig

SCHEDULE_SCHEMA = pa.schema(
    [
        ("fin_year", pa.string()),
        ("department", pa.string()),
        ("service_code", pa.string()),
        ("currency", pa.string()),
        ("description", pa.string()),
        ("activity", pa.float64()),
        ("unit_cost", pa.float64()),
        ("total_cost", pa.float64()),
    ]
)
MFF_SCHEMA = pa.schema([("org_code", pa.string()), ("fin_year", pa.string()), ("mff", pa.float64())])
WAU_SCHEMA = pa.schema([("fin_year", pa.string()), ("wau_constant", pa.float64())])
TRIM_POINT_SCHEMA = pa.schema([("hrg", pa.string()), ("admission_type", pa.string()), ("trim_point", pa.float64())])


def input_tables(config: IcsConfig) -> dict[str, pa.Table]:
    """The registered Arrow tables refresh_inputs.sql reads for the national comparators, by registration name."""
    return {
        "schedule_rows": schedule_table(config),
        "mff_rows": mff_table(config),
        "wau_constant_rows": wau_constant_table(config),
        "trim_point_rows": trim_point_table(config),
    }


def schedule_table(config: IcsConfig) -> pa.Table:
    """Every configured year's national schedule, one row per department, service code and currency."""
    rows = [
        {
            "fin_year": year,
            "department": r.department,
            "service_code": r.service_code,
            "currency": r.currency,
            "description": r.description,
            "activity": r.activity,
            "unit_cost": r.unit_cost,
            "total_cost": r.total_cost,
        }
        for year, path in config.national_schedule_paths().items()
        for r in (reference.national_schedule(path) if path else reference.national_schedule())
    ]
    return pa.Table.from_pylist(rows, schema=SCHEDULE_SCHEMA)


def mff_table(config: IcsConfig) -> pa.Table:
    path = config.market_forces_factors_path
    factors = reference.market_forces_factors(path) if path else ()
    return pa.Table.from_pylist(
        [{"org_code": f.org_code, "fin_year": f.fin_year, "mff": f.mff} for f in factors], schema=MFF_SCHEMA
    )


def wau_constant_table(config: IcsConfig) -> pa.Table:
    constants = config.benchmarks.wau_constants
    return pa.Table.from_pylist(
        [{"fin_year": year, "wau_constant": value} for year, value in sorted(constants.items())], schema=WAU_SCHEMA
    )


def trim_point_table(config: IcsConfig) -> pa.Table:
    path = config.los_trim_points_path
    points = reference.los_trim_points(path) if path else ()
    return pa.Table.from_pylist(
        [{"hrg": t.hrg, "admission_type": t.admission_type, "trim_point": t.days} for t in points],
        schema=TRIM_POINT_SCHEMA,
    )
