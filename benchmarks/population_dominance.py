"""Issue 16s: measure, from the loaded records (pandas, not the engine's SQL), on a refreshed demo store:

(a) the population tables' cells (deprivation_cost: year, setting, residence and decile; population_rates: year,
    setting, area type and area, with the ICS's outside-or-unknown row) whose cost one or two patients dominate, by
    the nk and p% rules as the ICS's [suppression] sets them, and how many of those are published with their cost;
(b) gp_practice_cost's ICS figures (cost per patient over every known practice's patients, cost per registered
    patient over the practices with a list size): dominated or not, per year;
(c) per published table measured, the shown cells with at least `smallest_shown` records but fewer distinct patients
    (a record without a pseudonym a patient of its own), and how many of those dominance does not already hide.

A patient's residence and GP practice for the year are those of their latest record with one (by start date, then
code), as patient_cost documents; a record without a pseudonym is a contributor of its own.

    python benchmarks/population_dominance.py /tmp/demo-0.01
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import duckdb
import pandas as pd

from engine.config import load


def read(folder: Path) -> tuple[duckdb.DuckDBPyConnection, dict[str, float]]:
    """The demo's store (read only) and its suppression rule, as its ICS config sets it."""
    config = load(next(folder.rglob("ics.toml")))
    con = duckdb.connect(str(config.store_path), read_only=True)
    rule = config.suppression
    return con, {"p": rule.dominance_p_percent, "k": rule.dominance_k_percent, "n": float(rule.smallest_shown)}


def dominated(each: pd.DataFrame, keys: list[str], rule: dict[str, float]) -> pd.DataFrame:
    """Per cell (keys): total, largest, second by size over contributors, patients and records, and dominated."""
    each = each.groupby([*keys, "contributor"], as_index=False, dropna=False).agg(
        cost=("cost", "sum"), records=("records", "sum")
    )
    each["size"] = each["cost"].abs()
    each = each.sort_values([*keys, "size"], ascending=[True] * len(keys) + [False])
    each["rank"] = each.groupby(keys, dropna=False).cumcount()
    g = each.groupby(keys, dropna=False)
    out = g.agg(total=("size", "sum"), records=("records", "sum"), contributors=("contributor", "nunique"))
    out["largest"] = each[each["rank"] == 0].set_index(keys)["size"]
    out["second"] = each[each["rank"] == 1].set_index(keys)["size"]
    out = out.fillna({"second": 0.0, "largest": 0.0})
    rest = out["total"] - out["largest"] - out["second"]
    out["dominated"] = (out["largest"] > 0) & (
        (rest < rule["p"] / 100 * out["largest"]) | (out["largest"] + out["second"] >= rule["k"] / 100 * out["total"])
    )
    return out.reset_index()


def records(con: duckdb.DuckDBPyConnection) -> pd.DataFrame:
    """Every costed record: its year, setting, provider, cells, contributor and cost; the patient's residence and
    practice for the year."""
    rows = con.sql(
        """
        SELECT coalesce(a.fin_year, l.fin_year) AS fin_year, l.setting, l.org_code, l.record_id,
               a.patient_id, a.lsoa, a.gp_practice, a.pod, a.tfc, a.hrg, a.period,
               CASE WHEN l.setting = 'apc' THEN coalesce(a.admission_date, a.event_date) ELSE a.event_date END
                   AS start_date,
               CASE WHEN a.record_id IS NULL THEN 0 ELSE 1 END AS records, l.cost
        FROM (SELECT setting, org_code, record_id, min(fin_year) AS fin_year, CAST(sum(cost) AS DOUBLE) AS cost
              FROM cost_lines GROUP BY setting, org_code, record_id) AS l
        LEFT JOIN activity AS a ON a.setting = l.setting AND a.org_code = l.org_code AND a.record_id = l.record_id
        """
    ).df()
    lone = "record " + rows["setting"] + " " + rows["org_code"] + " " + rows["record_id"]
    rows["contributor"] = rows["patient_id"].where(rows["patient_id"].notna(), lone)
    linked = rows[rows["patient_id"].notna()]
    for column in ("lsoa", "gp_practice"):
        known = linked[linked[column].notna()].sort_values(["start_date", column])
        latest = known.groupby(["fin_year", "patient_id"])[column].last().rename(f"patient_{column}")
        rows = rows.merge(latest, left_on=["fin_year", "patient_id"], right_index=True, how="left")
        # a record without a pseudonym keeps its own
        rows[f"patient_{column}"] = rows[f"patient_{column}"].where(rows["patient_id"].notna(), rows[column])
    return rows


def with_all(rows: pd.DataFrame) -> pd.DataFrame:
    return pd.concat([rows, rows.assign(setting="all")], ignore_index=True)


def shown(published: pd.DataFrame, keys: list[str], column: str) -> set[tuple[Any, ...]]:
    rows = published[published[column].notna()]
    return {tuple(r) for r in rows[keys].itertuples(index=False)}


def main(folder: Path) -> None:
    con, rule = read(folder)
    rows = records(con)
    lsoa = con.sql("SELECT lsoa, district, imd_decile FROM ref_lsoa").df()
    areas = con.sql("SELECT area_type, area, district FROM ref_population_area").df()
    ics_districts = set(areas.loc[areas["area_type"] == "ics", "district"])
    rows = rows.merge(lsoa.rename(columns={"lsoa": "patient_lsoa"}), on="patient_lsoa", how="left")
    both = with_all(rows)
    print(f"{folder}: {len(rows)} costed records, rule p={rule['p']} k={rule['k']} smallest shown {rule['n']:g}")

    # (a) deprivation_cost
    ics = both["district"].isin(ics_districts)
    both["residence"] = "outside the ICS area"
    both.loc[ics, "residence"] = "ICS resident"
    both.loc[both["patient_lsoa"].isna(), "residence"] = "unknown"
    both["decile"] = both["imd_decile"].where(ics, -1).fillna(-1).astype(int)
    cells = dominated(both, ["fin_year", "setting", "residence", "decile"], rule)
    pub = con.sql("SELECT * FROM published.deprivation_cost").df()
    pub["decile"] = pub["imd_decile"].fillna(-1).astype(int)
    show = shown(pub, ["fin_year", "setting", "residence", "decile"], "total_cost")
    report("deprivation_cost", cells, ["fin_year", "setting", "residence", "decile"], show, rule)

    # (a) population_rates: each area's residents, and the ICS's outside-or-unknown row
    inside = both.merge(areas, on="district", how="inner")
    outside = both[~ics].assign(area_type="ics", area="outside the ICS area or unknown")
    cells = dominated(pd.concat([inside, outside]), ["fin_year", "setting", "area_type", "area"], rule)
    pub = con.sql("SELECT * FROM published.population_rates").df()
    show = shown(pub, ["fin_year", "setting", "area_type", "area"], "total_cost")
    report("population_rates", cells, ["fin_year", "setting", "area_type", "area"], show, rule)

    # (b) gp_practice_cost's ICS figures: every known practice's patients, and those of practices with a list size
    known = rows[rows["patient_gp_practice"].notna()].assign(cell="every known practice")
    listed = set(con.sql("SELECT gp_practice FROM ref_gp_list_size WHERE registered_patients > 0").df()["gp_practice"])
    with_list = known[known["patient_gp_practice"].isin(listed)].assign(cell="practices with a list size")
    cells = dominated(pd.concat([known, with_list]), ["fin_year", "cell"], rule)
    for r in cells.to_dict("records"):
        print(
            f"  gp_practice_cost ICS {r['fin_year']} {r['cell']}: {r['contributors']} contributors, "
            f"largest two {100 * (r['largest'] + r['second']) / r['total']:.2f}% of £{r['total']:,.0f}, "
            f"dominated {r['dominated']}"
        )
    # the practices' settings too (already checked by the engine): a sanity check of this script
    practice = with_all(rows).assign(gp=lambda d: d["patient_gp_practice"].fillna("UNKNOWN"))
    cells = dominated(practice, ["fin_year", "gp", "setting"], rule)
    pub = con.sql("SELECT * FROM published.gp_practice_cost").df()
    show: set[tuple[Any, ...]] = set()
    for setting in ("apc", "op", "ec", "cc", "mh", "chs"):
        show |= {(y, g, setting) for y, g in shown(pub, ["fin_year", "gp_practice"], f"{setting}_cost")}
    show |= {(y, g, "all") for y, g in shown(pub, ["fin_year", "gp_practice"], "total_cost")}
    report("gp_practice_cost (practice x setting)", cells, ["fin_year", "gp", "setting"], show, rule)

    # (c) records against patients in the record-level provider and ICS cells
    costed = rows[rows["records"] == 1]
    cells = dominated(costed, ["fin_year", "setting", "pod", "tfc", "hrg", "org_code"], rule)
    pub = con.sql("SELECT * FROM published.unit_cost_benchmark").df()
    keys = ["fin_year", "setting", "pod", "tfc", "hrg", "org_code"]
    pub[["tfc", "hrg"]] = pub[["tfc", "hrg"]].fillna("")
    costed2 = costed.assign(tfc=costed["tfc"].fillna(""), hrg=costed["hrg"].fillna(""))
    cells = dominated(costed2, keys, rule)
    report("unit_cost_benchmark (provider)", cells, keys, shown(pub, keys, "mean_cost"), rule)
    ics_cells = dominated(costed2, keys[:-1], rule)
    ics_shown = {k[:-1] for k in shown(pub, keys, "ics_mean_cost")}
    report("unit_cost_benchmark (ICS)", ics_cells, keys[:-1], ics_shown, rule)
    costed3 = costed2.assign(quarter=(costed2["period"] - 1) // 3 + 1)
    pub = con.sql("SELECT * FROM published.cost_trend").df()
    keys = ["fin_year", "quarter", "setting", "pod", "org_code"]
    if set(keys) <= set(pub.columns):
        report("cost_trend (provider)", dominated(costed3, keys, rule), keys, shown(pub, keys, "total_cost"), rule)


def report(name: str, cells: pd.DataFrame, keys: list[str], show: set[tuple[Any, ...]], rule: dict[str, float]) -> None:
    cells = cells.copy()
    cells["shown"] = [tuple(k) in show for k in cells[keys].itertuples(index=False)]
    dom = cells[cells["dominated"]]
    few = cells[(cells["records"] >= rule["n"]) & (cells["contributors"] < rule["n"]) & cells["shown"]]
    print(
        f"  {name}: {len(cells)} cells, {len(show)} shown; dominated {len(dom)}, shown {int(dom['shown'].sum())}; "
        f"shown with >= {rule['n']:g} records but < {rule['n']:g} contributors: {len(few)}, "
        f"of them not dominated {int((~few['dominated']).sum())}"
    )
    for r in dom[dom["shown"]].head(5).to_dict("records"):
        print(f"    dominated and shown: {r}")
    for r in few[~few["dominated"]].head(3).to_dict("records"):
        print(f"    few patients, shown: {r}")


if __name__ == "__main__":
    main(Path(sys.argv[1]))
