"""Refreshing with the ICS SQL Server (PostgreSQL stand-in): pull and push-down agree, publishing is all or nothing,
and the lock keeps refreshes apart."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest

from engine.errors import ServerError
from engine.jobs import refresh_with_server
from engine.metrics import catalog
from engine.progress import Progress, silent
from engine.store import open_store
from engine.store.server import lock
from tests.conftest import IcsOnServer

pytestmark = pytest.mark.slow


def _refresh(ics: IcsOnServer, compute: str, progress: Progress = silent) -> Any:
    store = open_store(ics.config)
    try:
        with ics.server() as server:
            return refresh_with_server(store, server, compute=compute, progress=progress)
    finally:
        store.close()


def _everything_published(ics: IcsOnServer) -> dict[str, list[tuple[Any, ...]]]:
    return {m.name: ics.published(m.name) for m in catalog.published()}


def _local_results(ics: IcsOnServer) -> dict[str, list[tuple[Any, ...]]]:
    store = open_store(ics.config, read_only=True)
    try:
        out = {}
        for metric in catalog.published():
            columns = [c.name for c in metric.columns if c.name != "refresh_id"]
            rows = store.con.execute(f"SELECT {', '.join(columns)} FROM {metric.table}").fetchall()
            out[metric.name] = sorted(rows, key=lambda row: tuple((v is None, str(v)) for v in row))
        return out
    finally:
        store.close()


def _same(left: Any, right: Any) -> bool:
    if isinstance(left, float) and isinstance(right, float):
        return left == pytest.approx(right, rel=1e-9, abs=1e-9)
    return bool(left == right)


def _differences(first: dict[str, list[tuple[Any, ...]]], second: dict[str, list[tuple[Any, ...]]]) -> list[str]:
    found = []
    for name, rows in first.items():
        other = second[name]
        if len(rows) != len(other):
            found.append(f"{name}: {len(rows)} rows against {len(other)}")
            continue
        for a, b in zip(rows, other, strict=True):
            if not all(_same(x, y) for x, y in zip(a, b, strict=True)):
                found.append(f"{name}: {a} against {b}")
                break
    return found


def test_pull_and_push_down_give_identical_results(ics_on_server: IcsOnServer) -> None:
    pulled = _refresh(ics_on_server, "pull")
    after_pull = _everything_published(ics_on_server)
    local_after_pull = _local_results(ics_on_server)
    pushed = _refresh(ics_on_server, "push_down")
    after_push_down = _everything_published(ics_on_server)
    assert pulled.server.rows_pulled > 100_000 and pushed.server.rows_pulled == 0
    assert sum(len(rows) for rows in after_pull.values()) > 1_000, "the comparison must cover real results"
    assert _differences(after_pull, after_push_down) == []
    assert _differences(local_after_pull, _local_results(ics_on_server)) == []
    assert pulled.result.cost_loaded == pushed.result.cost_loaded


def test_results_on_the_server_reconcile_to_the_penny(ics_on_server: IcsOnServer) -> None:
    done = _refresh(ics_on_server, "pull")
    store = open_store(ics_on_server.config, read_only=True)
    try:
        local = {
            m.name: store.con.execute(f"SELECT count(*), sum(total_cost) FROM {m.published_table}").fetchall()[0]
            for m in catalog.published()
            if any(c.name == "total_cost" for c in m.columns)
        }
        loaded = store.scalar("SELECT sum(cost) FROM cost_lines")
    finally:
        store.close()
    with ics_on_server.server() as server:
        for name, (rows, cost) in local.items():
            assert server.rows(f"SELECT count(*), sum(total_cost) FROM published.{name}")[0] == (rows, cost), name
        logged = server.rows("SELECT refresh_id, compute, cost_loaded, result_rows FROM ics_results.refresh_log")
        on_server = server.scalar("SELECT sum(cost) FROM ics_canonical.cost_lines")
    assert logged == [(done.result.refresh_id, "pull", Decimal(loaded), done.server.published.rows)]
    assert Decimal(on_server) == Decimal(loaded) == done.result.cost_loaded


@pytest.mark.parametrize("when", ["swapping in los_summary", "writing cost_per_wau to staging"])
def test_a_connection_killed_mid_publish_leaves_the_last_good_results(ics_on_server: IcsOnServer, when: str) -> None:
    first = _refresh(ics_on_server, "pull")
    before = _everything_published(ics_on_server)
    killed: list[int] = []
    store = open_store(ics_on_server.config)
    try:
        with ics_on_server.server() as server:
            pid = int(server.scalar("SELECT pg_backend_pid()"))

            def kill_at(step: str, done: int | None = None, total: int | None = None) -> None:
                if step == f"ICS SQL Server: {when}" and not killed:
                    ics_on_server.postgres.terminate(pid)
                    killed.append(pid)

            with pytest.raises(ServerError):
                refresh_with_server(store, server, compute="pull", progress=kill_at)
    finally:
        store.close()
    assert killed, f"the publish never reached {when!r}"
    assert _differences(before, _everything_published(ics_on_server)) == []
    with ics_on_server.server() as server:
        assert server.rows("SELECT refresh_id FROM ics_results.refresh_log") == [(first.result.refresh_id,)]
    again = _refresh(ics_on_server, "pull")  # the dead session's lock went with it
    assert again.server.published.tables == len(catalog.published())


def test_a_refresh_cannot_start_while_another_holds_the_lock(ics_on_server: IcsOnServer) -> None:
    with ics_on_server.server() as holder, lock.exclusive(holder, "a refresh elsewhere"):
        with pytest.raises(ServerError, match="another icsbench load or refresh is running"):
            _refresh(ics_on_server, "pull")
        with ics_on_server.server() as server:
            assert server.rows("SELECT count(*) FROM ics_results.refresh_log") == [(0,)]
    assert _refresh(ics_on_server, "pull").server.published.tables == len(catalog.published())
