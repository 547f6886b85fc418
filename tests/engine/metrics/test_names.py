"""Every HRG, currency, chapter and treatment function shown has a name, and currencies outside HRG4+ (mental health,
community) are grouped apart from the HRG chapters their first letter happens to name."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest

from engine.metrics import catalog, national_inputs
from engine.store import Store, open_store
from tests.conftest import Workspace, query_store

REFRESH_ID = 7


@pytest.fixture
def store(workspace: Workspace) -> Iterator[Store]:
    """A store with its reference tables and refresh parameters, for running one dimension's query on given rows."""
    opened = open_store(workspace.config)
    opened.con.execute("CREATE SCHEMA IF NOT EXISTS results")
    opened.con.execute(f"CREATE TABLE results.refresh_parameters AS SELECT CAST({REFRESH_ID} AS BIGINT) AS refresh_id")
    # the national schedule is a refresh input (its descriptions name the HRGs): made here as a refresh makes it
    opened.con.register("schedule_rows", national_inputs.schedule_table(workspace.config))
    opened.con.execute("CREATE TABLE ref_national_schedule AS SELECT * FROM schedule_rows")
    try:
        yield opened
    finally:
        opened.close()


def _dim_hrg(store: Store, codes: list[str | None]) -> dict[str, tuple[Any, ...]]:
    """dim_hrg's rows (without hrg and refresh_id) by code, for activity records carrying these codes."""
    for number, code in enumerate(codes):
        store.con.execute(
            "INSERT INTO activity (setting, org_code, fin_year, period, record_id, pod, hrg, load_id) "
            "VALUES ('apc', 'ZZA', '2023/24', 1, $id, 'EL', $hrg, 0)",
            {"id": f"R{number}", "hrg": code},
        )
    rows = store.con.execute(catalog.metric("dim_hrg").query).fetchall()
    assert {row[-1] for row in rows} == {REFRESH_ID}
    return {row[0]: row[1:-1] for row in rows}


def test_each_code_is_named_and_put_in_its_chapter_or_currency_group(store: Store) -> None:
    codes = ["HT12A", "WF01A", "MHCC", "MHPS", "N02AF", "IAPT", "PF", "FQ01A", "QZ01A", "X1", None]
    assert _dim_hrg(store, codes) == {
        "HT12A": (
            "Very Major Hip Procedures for Trauma with CC Score 12+",
            "HT12A Very Major Hip Procedures for Trauma with CC Score 12+",
            "H",
            "Musculoskeletal System",
            "HT",
            "Orthopaedic Trauma Procedures",
        ),
        "WF01A": (
            "Non-Admitted Face-to-Face Attendance, Follow-up",
            "WF01A Non-Admitted Face-to-Face Attendance, Follow-up",
            "W",
            "Infectious Diseases, Immune System Disorders and other Healthcare contacts",
            "WF",
            "Non-Admitted Consultations",
        ),
        # Mental health and community currencies: never chapter M (female reproductive) or N (obstetrics).
        "MHCC": _currency("MHCC Mental Health Care Contact", "mental_health", "Mental health currency"),
        "MHPS": _currency("MHPS Mental Health Provider Spell", "mental_health", "Mental health currency"),
        "IAPT": _currency("IAPT NHS Talking Therapy Care Contact", "mental_health", "Mental health currency"),
        "N02AF": _currency(
            "N02AF District Nurse, Adult, Face to face", "community", "Community health service currency"
        ),
        # Plain film: two letters that are also an HRG subchapter (PF), but not an HRG.
        "PF": _currency("PF Plain Film", "direct_access", "Direct access diagnostics and audiology currency"),
        # An HRG of a known chapter whose subchapter the list lacks is named after its chapter, and says so.
        "FQ01A": (
            "Not in the national schedule",
            "FQ01A Not in the national schedule",
            "F",
            "Digestive System",
            "FQ",
            "Digestive System (subchapter FQ, not in the reference list)",
        ),
        # HRG-shaped, but Q is no HRG4+ chapter; and a code of no known shape or group.
        "QZ01A": _other("QZ01A"),
        "X1": _other("X1"),
        "": ("No HRG or currency recorded",) * 2 + ("none", "No HRG or currency recorded") * 2,
    }


def _currency(label: str, group: str, group_name: str) -> tuple[str, ...]:
    description = label.split(" ", 1)[1]
    return (description, label, group, group_name, group, group_name)


def _other(code: str) -> tuple[str, ...]:
    name = "Other currency (not an HRG4+ HRG, nor in a currency group)"
    return ("Not in the national schedule", f"{code} Not in the national schedule", "other", name, "other", name)


def test_a_treatment_function_missing_from_the_list_gets_a_labelled_name(store: Store) -> None:
    store.con.execute(
        f"CREATE TEMP TABLE event_costs AS SELECT * FROM (VALUES ('110', {REFRESH_ID}), ('999', {REFRESH_ID}), "
        f"('', {REFRESH_ID})) AS t(tfc, refresh_id)"
    )
    rows = store.con.execute(catalog.metric("dim_tfc").query + " ORDER BY tfc").fetchall()
    assert rows == [
        ("", "No treatment function recorded", "No treatment function recorded", REFRESH_ID),
        ("110", "Trauma and Orthopaedic Service", "110 Trauma and Orthopaedic Service", REFRESH_ID),
        (
            "999",
            "Treatment function 999 (not in the reference list)",
            "999 Treatment function 999 (not in the reference list)",
            REFRESH_ID,
        ),
    ]


# --- on the synthetic ICS, as published ---------------------------------------------------------------------------

NAME_COLUMNS = {
    "dim_hrg": ("hrg_description", "hrg_label", "hrg_chapter_name", "hrg_subchapter_name"),
    "dim_tfc": ("tfc_name", "tfc_label"),
}
FALLBACKS = ("not in the reference list", "Not in the national schedule", "Other currency")
LEVEL_TOTAL = "(all)"  # opportunity_summary's rows that add up every code of a level: a total, not a code


def _published_tables_with(column: str) -> list[str]:
    return [m.name for m in catalog.published() if column in {c.name for c in m.columns}]


@pytest.mark.parametrize(("dimension", "key"), [("dim_hrg", "hrg"), ("dim_tfc", "tfc")])
def test_every_code_the_synthetic_ics_shows_has_a_name_from_the_lists(
    refreshed_ics: Any, dimension: str, key: str
) -> None:
    config = refreshed_ics[1]
    names = NAME_COLUMNS[dimension]
    rows = query_store(config, f"SELECT {key}, {', '.join(names)} FROM published.{dimension}")
    assert len(rows) > (100 if key == "hrg" else 20)
    assert [row for row in rows if any(value is None or not value.strip() for value in row[1:])] == []
    assert [row for row in rows if any(text in value for value in row[1:] for text in FALLBACKS)] == []
    named = {row[0] for row in rows}
    tables = _published_tables_with(key)
    assert len(tables) >= (5 if key == "hrg" else 3)
    for table in tables:
        shown = {row[0] for row in query_store(config, f"SELECT DISTINCT {key} FROM published.{table}")}
        shown -= {LEVEL_TOTAL}
        assert shown - named == set(), f"{table} shows {key} codes {dimension} does not name"


def test_every_chapter_shown_has_a_name_and_currencies_are_grouped_apart_from_hrg_chapters(refreshed_ics: Any) -> None:
    config = refreshed_ics[1]
    by_setting = query_store(
        config,
        "SELECT DISTINCT a.setting, d.hrg_chapter, d.hrg_chapter_name FROM activity AS a "
        "JOIN published.dim_hrg AS d ON d.hrg = coalesce(a.hrg, '')",
    )
    chapters: dict[str, set[str]] = {}
    for setting, chapter, name in by_setting:
        assert name and name.strip(), chapter
        chapters.setdefault(setting, set()).add(chapter)
    assert chapters["mh"] == {"mental_health"}
    assert chapters["chs"] == {"community"}
    for setting in ("apc", "op", "ec", "cc"):
        assert all(re.fullmatch("[A-Z]", c) for c in chapters[setting]), (setting, chapters[setting])
    named = {row[0] for row in query_store(config, "SELECT hrg_chapter FROM published.dim_hrg")}
    system = query_store(config, "SELECT DISTINCT setting, hrg_chapter FROM published.system_cost")
    assert {chapter for _, chapter in system} <= named
    assert {chapter for setting, chapter in system if setting == "mh"} == {"mental_health"}


def test_the_synthetic_ics_loads_with_no_treatment_function_missing_from_the_list(refreshed_ics: Any) -> None:
    config = refreshed_ics[1]
    checks = query_store(config, "SELECT count(*) FROM load_issues WHERE \"check\" = 'tfc_not_in_reference_list'")
    assert checks == [(0,)]
