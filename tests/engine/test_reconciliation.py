"""Numbers reconcile: what the store holds equals what was generated, to the penny, per provider and setting."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from engine import config as config_module
from engine import synth
from engine.ingest import load_files, quality
from engine.store import open_store


@pytest.fixture(scope="module")
def loaded_ics(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[tuple[synth.SynthResult, config_module.IcsConfig]]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv(config_module.PSEUDONYM_KEY_ENV, "reconciliation-test-key")
        result = synth.generate(tmp_path_factory.mktemp("ics"), scale=0.004, seed=11)
        config = config_module.load(result.config_path)
        store = open_store(config)
        try:
            outcomes = load_files(store, list(result.files))
            quality.rebuild(store)
        finally:
            store.close()
        assert {o.status for o in outcomes} == {"loaded"}, [o.message for o in outcomes if o.status != "loaded"]
        yield result, config


def _query(config: config_module.IcsConfig, sql: str) -> list[tuple[object, ...]]:
    store = open_store(config, read_only=True)
    try:
        return store.con.execute(sql).fetchall()
    finally:
        store.close()


@pytest.mark.slow
def test_store_total_equals_generated_total_to_the_penny(loaded_ics) -> None:  # type: ignore[no-untyped-def]
    result, config = loaded_ics
    [(total,)] = _query(config, "SELECT sum(cost) FROM cost_lines")
    assert Decimal(total) == result.total_cost


@pytest.mark.slow
def test_every_provider_and_setting_reconciles_with_the_manifest(loaded_ics) -> None:  # type: ignore[no-untyped-def]
    result, config = loaded_ics
    manifest = json.loads(result.manifest_path.read_text())
    expected = {
        (org, setting): (figures["records"], Decimal(figures["total_cost"]))
        for org, settings in manifest["counts"].items()
        for setting, figures in settings.items()
    }
    rows = _query(
        config,
        "SELECT a.org_code, a.setting, a.records, coalesce(c.cost, 0) FROM "
        "(SELECT org_code, setting, count(*) AS records FROM activity GROUP BY ALL) AS a "
        "LEFT JOIN (SELECT org_code, setting, sum(cost) AS cost FROM cost_lines GROUP BY ALL) AS c "
        "USING (org_code, setting)",
    )
    actual = {(str(org), str(setting)): (records, Decimal(cost)) for org, setting, records, cost in rows}  # type: ignore[arg-type]
    assert actual == expected


@pytest.mark.slow
def test_data_quality_report_reconciles_with_the_store(loaded_ics) -> None:  # type: ignore[no-untyped-def]
    result, config = loaded_ics
    [(dq_cost, dq_records)] = _query(config, "SELECT sum(cost_loaded), sum(records) FROM data_quality")
    assert Decimal(dq_cost) == result.total_cost  # type: ignore[arg-type]
    assert dq_records == result.activity_rows
    statuses = _query(config, "SELECT DISTINCT control_status FROM loads")
    assert statuses == [("matched",)] or set(statuses) == {("matched",), ("none supplied",)}


@pytest.mark.slow
def test_a_second_load_of_everything_replaces_and_still_reconciles(loaded_ics) -> None:  # type: ignore[no-untyped-def]
    result, config = loaded_ics
    store = open_store(config)
    try:
        load_files(store, list(result.files))
    finally:
        store.close()
    [(total, lines)] = _query(config, "SELECT sum(cost), count(*) FROM cost_lines")
    assert Decimal(total) == result.total_cost  # type: ignore[arg-type]
    assert lines == result.cost_lines


@pytest.mark.slow
def test_patients_link_across_providers(loaded_ics) -> None:  # type: ignore[no-untyped-def]
    _result, config = loaded_ics
    [(linked, without)] = _query(
        config,
        "SELECT count(*) FILTER (WHERE providers > 1), (SELECT count(*) FROM activity WHERE patient_id IS NULL) "
        "FROM (SELECT patient_id, count(DISTINCT org_code) AS providers FROM activity GROUP BY patient_id)",
    )
    assert linked > 0
    assert without == 0


@pytest.mark.integration
def test_the_demo_command_runs_end_to_end(tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if k != config_module.PSEUDONYM_KEY_ENV}
    done = subprocess.run(
        [sys.executable, "-m", "engine.cli", "demo", "--dir", str(tmp_path / "demo"), "--scale", "0.002"],
        capture_output=True,
        text=True,
        env={**env, "COLUMNS": "200"},
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "reconciles with" in done.stdout and "DOES NOT" not in done.stdout
    store = tmp_path / "demo" / "extracts" / "icsbench.duckdb"
    assert store.exists()
    headline = done.stdout.split("Opportunity against the ICS average, latest year")[1].split("Added up over")[0]
    con = duckdb.connect(str(store), read_only=True)
    try:
        providers = con.execute(
            "SELECT org_code, net_vs_ics FROM published.opportunity_summary WHERE pod = '(all)' AND hrg = '(all)' "
            "AND cost_driver = '(all)' AND fin_year = (SELECT max(fin_year) FROM published.opportunity_summary)"
        ).fetchall()
    finally:
        con.close()
    assert providers
    for org_code, net in providers:
        line = next(line for line in headline.splitlines() if f" {org_code} " in line)
        shown = f"-£{-net:,.0f}" if round(net) < 0 else f"£{net:,.0f}"
        assert shown in line, (org_code, net, line)
