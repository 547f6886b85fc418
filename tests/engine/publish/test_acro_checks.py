"""ACRO, the output checker of UK Trusted Research Environments (SACRO), as an independent judge of what is published.

ACRO is handed the record-level costs of the synthetic ICS, read straight from the store's loaded activity and cost
lines (not from any result table), each record's cost by size (ACRO does not judge dominance among negative values;
the policy counts a credit by its magnitude), and asked, by its own `crosstab` with `aggfunc="sum"`, which cells of
the provider x cell cost table (and its ICS margin) it would let out. Every cell it flags for dominance (its nk and
p% checks) or, for whole costs, for too few records (its threshold check, at the policy's threshold) must be blank
in the published tables. ACRO runs with the config's parameters, checked to be at least as strict as its defaults.
"""

from __future__ import annotations

import logging
from contextlib import closing
from typing import Any

import pandas as pd
import pytest
from acro import ACRO

from engine.config import IcsConfig
from engine.publish.suppression import SuppressionRule
from engine.store import open_store

CELL = ["fin_year", "setting", "pod", "tfc", "hrg"]
# ACRO's own code calls pandas in ways pandas now warns about; the warnings are ACRO's, not the engine's.
pytestmark = pytest.mark.filterwarnings("ignore::FutureWarning", "ignore::DeprecationWarning")
DOMINANCE = ("NKCheck", "PPercentCheck")
THRESHOLD = "MinimumThresholdCheck"


def _records(con: Any) -> pd.DataFrame:
    """One row per loaded activity record: its cell, provider and cost on each driver (0 where it has none)."""
    activity = con.sql(
        "SELECT setting, org_code, fin_year, record_id, pod, coalesce(tfc, '') AS tfc, coalesce(hrg, '') AS hrg "
        "FROM activity"
    ).df()
    lines = con.sql(
        "SELECT setting, org_code, record_id, cost_driver, CAST(cost AS DOUBLE) AS cost FROM cost_lines"
    ).df()
    return activity, lines


def _cell(frame: pd.DataFrame, keys: list[str]) -> pd.Series:
    """The cell's keys as one label: ACRO's crosstab over one row label is far lighter than over five."""
    return frame[keys].astype(str).agg("|".join, axis=1)


def _flags(frame: pd.DataFrame, keys: list[str], config: dict[str, Any]) -> pd.DataFrame:
    """ACRO's verdict on the sum of `cost` by cell x provider (and the ICS margin, provider 'All'): the cells where
    a check failed, and which."""
    acro = ACRO(suppress=False)
    acro.config.update(config)  # the dict ACRO's checks read their risk appetite from
    acro.crosstab(
        _cell(frame, keys).rename("cell"), frame["org_code"], values=frame["cost"], aggfunc="sum", margins=True
    )
    outcome = acro.results.get_index(-1).outcome
    flat = outcome.stack(future_stack=True).rename("checks").reset_index()
    flat.columns = ["cell", "org_code", "checks"]
    return flat[flat["checks"] != "ok"]


@pytest.fixture(scope="module")
def judged(refreshed_ics: Any) -> dict[str, Any]:
    return judge(refreshed_ics[1])


def judge(config: IcsConfig) -> dict[str, Any]:
    """ACRO's flags, with its defaults and with the config's parameters, and the published tables they judge."""
    logging.getLogger("acro").setLevel(logging.WARNING)
    rule = SuppressionRule.from_config(config.suppression)
    with closing(open_store(config, read_only=True)) as store:
        activity, lines = _records(store.con)
        published = {
            name: store.con.sql(f"SELECT * FROM published.{name}").df()
            for name in ("unit_cost_benchmark", "cost_driver_benchmark")
        }
    per_record = lines.groupby(["setting", "org_code", "record_id"], as_index=False)["cost"].sum()
    records = activity.merge(per_record, on=["setting", "org_code", "record_id"], how="left").fillna({"cost": 0.0})
    # By size: ACRO leaves dominance undefined where a value is negative (a credit); the policy judges magnitudes.
    records["cost"] = records["cost"].abs()
    by_driver = lines.groupby(["setting", "org_code", "record_id", "cost_driver"], as_index=False)["cost"].sum()
    drivers = activity.merge(by_driver, on=["setting", "org_code", "record_id"])
    drivers = drivers[drivers["cost"] != 0].assign(cost=lambda f: f["cost"].abs())
    ours = {
        "safe_threshold": rule.smallest_shown,
        "safe_pratio_p": rule.dominance_p_percent / 100,
        "safe_nk_k": rule.dominance_k_percent / 100,
    }
    return {
        "rule": rule,
        "published": published,
        "records": records,
        "unit": _flags(records, CELL, ours),
        "driver": _flags(drivers, [*CELL, "cost_driver"], ours),
    }


def _shown(flags: pd.DataFrame, published: pd.DataFrame, keys: list[str], checks: tuple[str, ...]) -> pd.DataFrame:
    """Flagged cells (for any of `checks`) whose cost is published: provider cells by their cost, ICS cells by the
    ICS cost per unit."""
    flagged = flags[flags["checks"].str.contains("|".join(checks))]
    published = published.assign(cell=_cell(published, keys))
    providers = flagged[flagged["org_code"] != "All"].merge(published, on=["cell", "org_code"])
    ics = flagged[flagged["org_code"] == "All"].drop(columns="org_code").merge(published, on="cell")
    value = "total_cost" if "total_cost" in published else "driver_cost"
    rate = "ics_mean_cost" if "ics_mean_cost" in published else "ics_driver_cost_per_case"
    return pd.concat([providers[providers[value].notna()], ics[ics[rate].notna()]])


def test_the_config_is_at_least_as_strict_as_acros_own_defaults(judged: dict[str, Any]) -> None:
    """ACRO is run with the config's parameters; where they are as strict as ACRO's defaults, whatever ACRO would
    flag by default it flags here too (a smaller k or a larger p flags more)."""
    defaults, rule = ACRO(suppress=False).config, judged["rule"]
    assert rule.dominance_p_percent / 100 >= defaults["safe_pratio_p"]
    assert rule.dominance_k_percent / 100 <= defaults["safe_nk_k"]
    assert defaults["safe_nk_n"] == 2  # the rule reads the largest two records


def test_acro_flags_no_published_unit_cost_cell(judged: dict[str, Any]) -> None:
    flags = judged["unit"]
    assert flags["checks"].str.contains("|".join(DOMINANCE)).sum() > 0  # ACRO does find dominated cells here
    leaks = _shown(flags, judged["published"]["unit_cost_benchmark"], CELL, (*DOMINANCE, THRESHOLD))
    assert leaks.empty, leaks.head(10).to_string()


def test_acro_finds_no_dominated_published_cost_driver_cell(judged: dict[str, Any]) -> None:
    flags = judged["driver"]
    assert flags["checks"].str.contains("|".join(DOMINANCE)).sum() > 0
    leaks = _shown(flags, judged["published"]["cost_driver_benchmark"], [*CELL, "cost_driver"], DOMINANCE)
    assert leaks.empty, leaks.head(10).to_string()


def test_acro_judged_the_records_the_tables_were_built_from(judged: dict[str, Any]) -> None:
    """Every published cost cell has its records in what ACRO was given, and as many: the same data, another route."""
    records = judged["records"]
    counted = records.assign(cell=_cell(records, CELL)).groupby(["cell", "org_code"]).size().rename("records")
    published = judged["published"]["unit_cost_benchmark"]
    shown = published[published["activity"].notna()].assign(cell=lambda f: _cell(f, CELL))
    both = shown.merge(counted.reset_index(), on=["cell", "org_code"], how="left")
    assert both["records"].notna().all()
    assert ((both["records"] - both["activity"]).abs() <= judged["rule"].round_to / 2).all()
