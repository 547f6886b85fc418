"""An NHS number sent in any column but nhs_number, in every column a trust can send: after the load, no table of the
store, no file the store keeps beside it (the snapshot status and quality read) and nothing `load`, `quarantine`,
`quality` or `status` prints holds it, written plainly or spaced as 999 123 4567."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine import nhs_number, schema
from engine.cli import main
from engine.publish import store_snapshot
from engine.store import open_store
from tests.conftest import BASE_CONFIG, COST_HEADER, PSEUDONYM_KEY, VALID_NHS, Workspace, cost_row
from tests.nhs_scan import found_in_files, found_in_store, found_in_text

pytestmark = pytest.mark.slow

ASTRAY = nhs_number.synthetic_numbers(np.array([4242, 4343]))
KNOWN = [*VALID_NHS, *ASTRAY]
# The test config, with an extract pattern for every setting's activity (the wide and cost-line ones are there).
CONFIG = BASE_CONFIG + "".join(
    f'\n[[extracts]]\npattern = "*_{s}_*_activity.*"\nsetting = "{s}"\n' for s in ("op", "ec", "mh", "chs")
)
COMMON = {
    "org_code": "ZZA",
    "fin_year": "2023/24",
    "period": 1,
    "nhs_number": VALID_NHS[0],
    "age": 80,
    "sex": "F",
    "lsoa": "E01012681",
    "gp_practice": "P81001",
    "event_date": "2023-04-01",
    "end_date": "2023-04-05",
    "episode_count": 1,
}
BY_SETTING: dict[str, dict[str, Any]] = {
    "apc": {
        "pod": "NEL",
        "tfc": "110",
        "hrg": "HT12A",
        "spell_id": "S1",
        "episode_number": 1,
        "admission_method": "21",
        "admission_date": "2023-04-01",
        "discharge_date": "2023-04-05",
        "los": 4,
        "spell_hrg": "HT12A",
        "primary_diagnosis": "S720",
    },
    "op": {"pod": "OPFA", "tfc": "110", "hrg": "WF01A", "face_to_face": "Y"},
    "ec": {"pod": "EC", "hrg": "VB03Z", "department_type": "01"},
    "cc": {
        "pod": "CC",
        "tfc": "192",
        "hrg": "XC05Z",
        "unit_type": "adult",
        "apc_record_id": "R1",
        "bed_days": 2,
        "level_2_days": 1,
        "level_3_days": 1,
    },
    "mh": {
        "pod": "MHCC",
        "hrg": "MHCC",
        "face_to_face": "Y",
        "bed_days": 0,
        "duration_minutes": 45,
        "service_code": "CMHT",
    },
    "chs": {"pod": "CHS", "hrg": "A08A1", "face_to_face": "Y", "duration_minutes": 30, "service_code": "PHYSIO"},
}


def _cases() -> list[tuple[str, str]]:
    """(file kind, column): every column of admitted care, the columns only other settings have, every cost line
    column and the wide layout's cost columns."""
    cases = [("apc", c.name) for c in schema.activity_columns_for("apc") if c.name != "nhs_number"]
    seen = {name for _, name in cases}
    for setting in schema.ALL_SETTINGS:
        for column in schema.activity_columns_for(setting):
            if column.name not in seen and column.name != "nhs_number":
                cases.append((setting, column.name))
                seen.add(column.name)
    cases += [("cost_lines", name) for name in COST_HEADER]
    cases += [("wide", "ClinicCost"), ("wide", "PathCost")]
    return cases


def _activity(ws: Workspace, setting: str, column: str | None, name: str | None = None) -> Path:
    header = [c.name for c in schema.activity_columns_for(setting)]
    header.remove("nhs_number" if column == "patient_id" else "patient_id")
    rows = []
    for i in (1, 2, 3):
        values = COMMON | BY_SETTING[setting] | {"record_id": f"R{i}", "patient_id": "ab" * 32}
        if setting == "apc":
            values["spell_id"] = f"S{i}"
        if setting == "cc":
            values["apc_record_id"] = f"R{i}"
        rows.append([_astray(values, column, h, i) for h in header])
    return ws.write_csv(name or f"ZZA_{setting}_202324_activity.csv", header, rows)


def _astray(values: dict[str, Any], column: str | None, header: str, row: int) -> Any:
    """The row's value, or for the column under test an NHS number: plain in row 2, spaced in row 3."""
    if header != column or row == 1:
        return values.get(header, "")
    number = ASTRAY[row - 2]
    return number if row == 2 else f"{number[:3]} {number[3:6]} {number[6:]}"


def _files(ws: Workspace, kind: str, column: str) -> list[Path]:
    if kind == "cost_lines":
        rows = [cost_row(f"R{i}", "10.00") for i in (1, 2, 3)]
        rows = [
            [_astray(dict(zip(COST_HEADER, r, strict=True)), column, h, i) for h in COST_HEADER]
            for i, r in enumerate(rows, 1)
        ]
        return [_activity(ws, "apc", None), ws.write_csv("ZZA_apc_202324_cost_lines.csv", COST_HEADER, rows)]
    if kind == "wide":
        header = [c.name for c in schema.activity_columns_for("op") if c.name != "patient_id"] + [
            "ClinicCost",
            "PathCost",
        ]
        rows = []
        for i in (1, 2, 3):
            values = COMMON | BY_SETTING["op"] | {"record_id": f"R{i}", "ClinicCost": "10.00", "PathCost": "2.50"}
            rows.append([_astray(values, column, h, i) for h in header])
        return [ws.write_csv("ZZA_op_202324_wide.csv", header, rows)]
    files = [_activity(ws, kind, column)]
    if kind == "cc":
        files.insert(0, _activity(ws, "apc", None))
    return files


def _scan_output(args: Sequence[str]) -> str:
    result = CliRunner().invoke(main, list(args))
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    return result.output


@pytest.mark.parametrize(("kind", "column"), _cases(), ids=lambda value: str(value))
def test_an_nhs_number_in_any_other_column_is_never_stored_logged_or_printed(
    kind: str, column: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
    ws = Workspace(tmp_path, CONFIG)
    config = ["--config", str(ws.config_path)]
    printed = _scan_output(["load", *(str(p) for p in _files(ws, kind, column)), *config])
    printed += _scan_output(["quarantine", "--limit", "0", *config])
    (tmp_path / "out").mkdir()
    printed += _scan_output(["quarantine", "--out", str(tmp_path / "out" / "quarantine.csv"), *config])
    printed += _scan_output(["quality", *config])
    printed += _scan_output(["quality", "--by", "period", *config])
    printed += _scan_output(["status", *config])
    assert found_in_text(printed, KNOWN) == [], "printed"
    store = open_store(ws.config, read_only=True)
    try:
        assert found_in_store(store.con, KNOWN) == [], "stored"
        rows = store.count("SELECT count(*) FROM activity") + store.count("SELECT count(*) FROM load_issues")
    finally:
        store.close()
    assert rows > 0, "the load happened"
    assert found_in_files(tmp_path / "out", KNOWN) == [], "written by quarantine --out"
    assert found_in_files(store_snapshot.root_of(ws.config), KNOWN) == [], "kept beside the store"
