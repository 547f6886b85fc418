"""The config's population view as refresh inputs: areas, GP list sizes, long-term conditions and pathways.

The metric SQL is the same for every ICS; what differs (which districts are the ICS, how districts group into places,
which codes show a long-term condition, what a pathway is) comes from ics.toml and is handed to the SQL as small
tables, rebuilt at the start of each refresh (sql/store/refresh_inputs.sql). Each table has a fixed Arrow schema, so
an ICS that configures none of it still gets empty tables of the right shape.
"""

from __future__ import annotations

from collections.abc import Iterable

import pyarrow as pa

from engine import reference, sql_files
from engine.config import INDEX_STEP, IcsConfig, PathwayEvents
from engine.store import Store

ICS_AREA = "ics"
OUTSIDE_AREA = "outside the ICS area or unknown"
# Without configured districts: a district is part of the ICS when at least this share of its patients live there.
FALLBACK_DISTRICT_SHARE = 0.01

AREA_SCHEMA = pa.schema([("district", pa.string()), ("area_type", pa.string()), ("area", pa.string())])
LIST_SIZE_SCHEMA = pa.schema([("gp_practice", pa.string()), ("registered_patients", pa.int64())])
CONDITION_SCHEMA = pa.schema(
    [("condition", pa.string()), ("condition_label", pa.string()), ("field", pa.string()), ("code_prefix", pa.string())]
)
STEP_SCHEMA = pa.schema(
    [
        ("pathway", pa.string()),
        ("pathway_label", pa.string()),
        ("step", pa.string()),
        ("step_order", pa.int32()),
        ("setting", pa.string()),
        ("window_kind", pa.string()),
        ("from_day", pa.int32()),
        ("to_day", pa.int32()),
        ("same_provider", pa.int32()),
        ("follow_up_days", pa.int32()),
        ("code_fields", pa.int32()),
    ]
)
CODE_SCHEMA = pa.schema(
    [("pathway", pa.string()), ("step", pa.string()), ("field", pa.string()), ("code_prefix", pa.string())]
)


def input_tables(store: Store) -> dict[str, pa.Table]:
    """The registered Arrow tables refresh_inputs.sql reads for the population view, by registration name."""
    config = store.config
    return {
        "area_rows": area_table(config, _districts(store)),
        "list_size_rows": list_size_table(config),
        "condition_rows": condition_table(config),
        "pathway_step_rows": pathway_step_table(config),
        "pathway_code_rows": pathway_code_table(config),
    }


def area_table(config: IcsConfig, districts: Iterable[str]) -> pa.Table:
    """One row per (district, area) the district counts in: the whole ICS, its place (if any) and itself."""
    rows: list[tuple[str, str, str]] = []
    for district in districts:
        rows.append((district, ICS_AREA, config.ics.name))
        rows += [(district, "place", place.name) for place in config.population.places if district in place.districts]
        rows.append((district, "district", district))
    return pa.Table.from_pylist([dict(zip(AREA_SCHEMA.names, r, strict=True)) for r in rows], schema=AREA_SCHEMA)


def list_size_table(config: IcsConfig) -> pa.Table:
    path = config.gp_list_sizes_path
    sizes = reference.gp_list_sizes(path) if path else {}
    return pa.table({"gp_practice": list(sizes), "registered_patients": list(sizes.values())}, schema=LIST_SIZE_SCHEMA)


def condition_table(config: IcsConfig) -> pa.Table:
    rows = [
        {"condition": c.name, "condition_label": c.label, "field": field, "code_prefix": code}
        for c in config.long_term_conditions
        for field, values in (("diagnosis", c.diagnoses), ("service", c.services))
        for code in values
    ]
    return pa.Table.from_pylist(rows, schema=CONDITION_SCHEMA)


def pathway_step_table(config: IcsConfig) -> pa.Table:
    """One row per pathway step and setting; the index admission is step 0."""
    rows = []
    for pathway in config.pathways:
        steps: list[tuple[str, PathwayEvents, str, int, int, int]] = [(INDEX_STEP, pathway.index, "index", 0, 0, 1)]
        steps += [(s.name, s, s.window, s.from_day, s.to_day, int(s.provider == "index")) for s in pathway.steps]
        for order, (name, events, window, from_day, to_day, same_provider) in enumerate(steps):
            rows += [
                {
                    "pathway": pathway.name,
                    "pathway_label": pathway.label,
                    "step": name,
                    "step_order": order,
                    "setting": setting,
                    "window_kind": window,
                    "from_day": from_day,
                    "to_day": to_day,
                    "same_provider": same_provider,
                    "follow_up_days": pathway.follow_up_days,
                    "code_fields": len(events.filters()),
                }
                for setting in events.settings
            ]
    return pa.Table.from_pylist(rows, schema=STEP_SCHEMA)


def pathway_code_table(config: IcsConfig) -> pa.Table:
    """One row per code prefix a pathway step's filter lists (field: pod, diagnosis, hrg, tfc or service)."""
    rows = [
        {"pathway": pathway.name, "step": name, "field": field, "code_prefix": code}
        for pathway in config.pathways
        for name, events in ((INDEX_STEP, pathway.index), *((s.name, s) for s in pathway.steps))
        for field, values in events.filters().items()
        for code in values
    ]
    return pa.Table.from_pylist(rows, schema=CODE_SCHEMA)


def _districts(store: Store) -> list[str]:
    """The configured districts, or else those where at least 1% of the loaded patients live."""
    if store.config.population.districts:
        return list(store.config.population.districts)
    rows = store.con.execute(sql_files.read("refresh/resident_districts.sql")).fetchall()
    return [district for district, share in rows if share >= FALLBACK_DISTRICT_SHARE]
