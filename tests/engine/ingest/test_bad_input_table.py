"""Every case of the bad-input table (bad_input_cases.py) through `icsbench load`, as a trust's costing lead runs it.

For each case: no traceback, a result for every file named, each file's outcome and message as the table says, the
store holding exactly the records and costs the table says (no good row lost, no value silently wrong), the issues
recorded by file, row and column, and no NHS number in any table of the store or anything printed.
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from engine import config as config_module
from engine.cli import main
from engine.store import open_store
from tests.conftest import BASE_CONFIG, PSEUDONYM_KEY, VALID_NHS, Workspace
from tests.engine.ingest.bad_input_cases import CASES, STRAY_NHS, Case
from tests.nhs_scan import found_in_store, found_in_text

KNOWN_NHS = [*VALID_NHS, *STRAY_NHS]
# Each case builds a store from nothing (schema, reference data) and loads through the command line: about two
# seconds each, a few minutes for the table.
pytestmark = pytest.mark.slow


def test_the_table_has_at_least_eighty_distinct_cases() -> None:
    names = [case.name for case in CASES]
    assert len(names) == len(set(names)) >= 80


def _load(ws: Workspace, paths: list[Path]) -> tuple[int, str, BaseException | None]:
    result = CliRunner().invoke(main, ["load", *(str(p) for p in paths), "--config", str(ws.config_path)])
    return result.exit_code, result.output, result.exception


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.name)
def test_bad_input(case: Case, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config_module.PSEUDONYM_KEY_ENV, PSEUDONYM_KEY)
    ws = Workspace(tmp_path, case.config(BASE_CONFIG))
    if case.config_bytes is not None:
        ws.config_path.write_bytes(case.config_bytes(ws.config_path.read_text(encoding="utf-8")))
    first_load = 0
    if case.before is not None:
        code, output, _ = _load(ws, list(case.before(ws)))
        assert code == 0, output
        first_load = ws.query("SELECT max(load_id) FROM loads")[0][0]
    paths = list(case.files(ws))
    code, output, exception = _load(ws, paths)

    assert "Traceback" not in output
    assert exception is None or isinstance(exception, SystemExit), repr(exception)
    assert found_in_text(output, KNOWN_NHS) == [], "an NHS number was printed"
    for words in case.cli_says:
        assert words in output, (words, output)
    if case.exit_code is not None:
        assert code == case.exit_code, output
        assert not list(tmp_path.glob("*.wal")), "the command stopped, yet something was written as a store"
        return
    assert code == (1 if "failed" in case.outcome.values() else 0), output

    statuses: dict[str, list[str]] = defaultdict(list)
    messages: dict[str, str] = {}
    for name, status, message in ws.query(
        "SELECT file_name, status, message FROM loads WHERE load_id > $first ORDER BY load_id", {"first": first_load}
    ):
        statuses[name].append(status)
        messages[name] = message
    for expected_name, expected in case.outcome.items():
        matching = [
            n
            for n in statuses
            if n == expected_name or (expected_name.endswith("[NHS#") and n.startswith(expected_name))
        ]
        assert len(matching) == 1, (expected_name, dict(statuses))
        [name] = matching
        assert ", ".join(statuses[name]) == expected, (name, statuses[name], messages[name])
        assert name in output, f"{name} is missing from the printed summary"
        for words in case.says.get(expected_name, ()):
            assert words in messages[name], (words, messages[name])
            assert words in output, (words, output)
    assert len(statuses) == len({p.resolve() for p in paths}), "every file named has exactly one outcome"
    assert "running" not in {s for v in statuses.values() for s in v}

    if case.records is not None:
        held = {f"{org}/{rid}" for org, rid in ws.query("SELECT org_code, record_id FROM activity")}
        assert held == case.records, "records lost or added"
    if case.costs is not None:
        held_costs = {
            f"{org}/{rid}": total
            for org, rid, total in ws.query("SELECT org_code, record_id, sum(cost) FROM cost_lines GROUP BY ALL")
        }
        assert held_costs == {k: Decimal(v) for k, v in case.costs.items()}, "costs lost, added or changed"
    recorded = {
        (file, row, column, check)
        for file, row, column, check in ws.query('SELECT file_name, "row", "column", "check" FROM load_issues')
    }
    assert case.issues <= recorded, sorted(case.issues - recorded)
    if case.check is not None:
        case.check(ws)

    store = open_store(ws.config, read_only=True)
    try:
        assert found_in_store(store.con, KNOWN_NHS) == [], "an NHS number reached the store"
    finally:
        store.close()
