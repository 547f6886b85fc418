"""Move the canonical data between the local DuckDB store and the server's ics_canonical schema.

`push` (after `icsbench db load`): every provider-setting-period whose records, cost lines or cost differ between the
two is replaced on the server by the local rows, in one transaction; the small tables (providers, data quality,
reference data) are replaced whole. Rows travel to staging tables first, over parallel connections, and move into
ics_canonical with INSERT ... SELECT on the server, so a failure at any point leaves the server as it was and the next
push finds the same differences again.

`pull` (a pull refresh): the server's canonical tables replace the local store's, in one DuckDB transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

import pyarrow as pa

from engine import sql_files
from engine.errors import ServerError
from engine.progress import Progress, silent
from engine.store import Store, record_costs
from engine.store.server import layout, render
from engine.store.server.connection import Server
from engine.store.server.layout import CANONICAL, STAGING, canonical_staging

PeriodKey = tuple[str, str, str, int]  # setting, org_code, fin_year, period
Fingerprint = tuple[int, int, Decimal]  # records, cost lines, cost
KEYED_TABLES = ("activity", "cost_lines")
WHOLE_TABLES = ("providers", "data_quality", *layout.REFERENCE_TABLES)


@dataclass(frozen=True)
class PushResult:
    periods_replaced: int
    rows_written: int
    cost_on_server: Decimal


def fingerprints_here(store: Store) -> dict[PeriodKey, Fingerprint]:
    rows = store.con.execute(sql_files.read("server/period_fingerprints.sql")).fetchall()
    return {(s, o, y, int(p)): (int(r), int(n), Decimal(c)) for s, o, y, p, r, n, c in rows}


def fingerprints_there(server: Server) -> dict[PeriodKey, Fingerprint]:
    tables = {name: (CANONICAL, name) for name in KEYED_TABLES}
    text = render.query(sql_files.read("server/period_fingerprints.sql"), server.dialect.name, tables)
    rows = server.rows(text)
    return {(s, o, y, int(p)): (int(r), int(n), Decimal(c)) for s, o, y, p, r, n, c in rows}


def push(store: Store, server: Server, progress: Progress = silent) -> PushResult:
    """Make the server's canonical data match the local store for every period the store holds (call under the lock)."""
    say = progress
    here = fingerprints_here(store)
    say("comparing the periods the server holds")
    there = fingerprints_there(server)
    changed = sorted(key for key, value in here.items() if there.get(key) != value)
    written = 0
    _clear_staging(server)
    keys = pa.table(
        {
            "setting": [k[0] for k in changed],
            "org_code": [k[1] for k in changed],
            "fin_year": [k[2] for k in changed],
            "period": pa.array([k[3] for k in changed], pa.int32()),
        }
    )
    store.con.register("changed_periods", keys)
    try:
        for name in KEYED_TABLES:
            say(f"writing {name} for {len(changed)} changed period(s)")
            rows = store.con.sql(
                f"SELECT t.* FROM {name} AS t JOIN changed_periods AS k ON t.setting = k.setting "
                "AND t.org_code = k.org_code AND t.fin_year = k.fin_year AND t.period = k.period"
            ).to_arrow_table()
            server.write_arrow((STAGING, canonical_staging(name)), rows)
            written += rows.num_rows
    finally:
        store.con.unregister("changed_periods")
    for name in WHOLE_TABLES:
        say(f"writing {name}")
        rows = store.con.sql(f"SELECT * FROM {name}").to_arrow_table()
        server.write_arrow((STAGING, canonical_staging(name)), rows)
        written += rows.num_rows
    say("replacing the changed periods on the server in one transaction")
    with server.transaction():
        for name in KEYED_TABLES:
            delete = (
                f"DELETE FROM {server.dialect.quote(CANONICAL, name)} "
                "WHERE setting = ? AND org_code = ? AND fin_year = ? AND period = ?"
            )
            for key in changed:
                server.execute(delete, key)
        for name in WHOLE_TABLES:
            server.execute(f"DELETE FROM {server.dialect.quote(CANONICAL, name)}")
        for name in (*KEYED_TABLES, *WHOLE_TABLES):
            _move(server, name)
        after = fingerprints_there(server)
        wrong = [key for key in changed if after.get(key) != here[key]]
        if wrong:
            raise ServerError(
                f"after replacing them, {len(wrong)} period(s) on the server do not hold the rows and pounds of the "
                f"local store (first: {wrong[0]}); the change was undone and the server is as it was"
            )
        cost = Decimal(
            server.scalar(f"SELECT coalesce(sum(cost), 0) FROM {server.dialect.quote(CANONICAL, 'cost_lines')}")
        )
    _clear_staging(server)
    for name in (*KEYED_TABLES, *WHOLE_TABLES):
        statistics = server.dialect.statistics(server.dialect.quote(CANONICAL, name))
        if statistics:
            server.execute(statistics)
    return PushResult(len(changed), written, cost)


def push_if_configured(store: Store, progress: Progress = silent) -> PushResult | None:
    """With [server] in the config, bring the server's canonical data up to date with the store (under the lock)."""
    from engine.store.server import lock

    if store.config.server is None:
        return None
    with Server(store.config.server) as server, lock.exclusive(server, "a load"):
        return push(store, server, progress)


def pull(server: Server, store: Store, progress: Progress = silent) -> int:
    """Replace the local store's canonical tables with the server's, in one DuckDB transaction; rows read.

    Rows stream from the server into the store batch by batch, so memory holds a batch, not the tables. A failure
    part way rolls the store back to what it held. The local load log is kept.
    """
    say = progress
    shapes = layout.shapes().store
    read = 0
    with store.transaction() as con:
        for name in (*KEYED_TABLES, "data_quality"):
            say(f"reading {name} from the server")
            columns = shapes[name]
            schema = layout.arrow_schema(columns)
            select = ", ".join(server.dialect.quote(c.name) for c in columns)
            batches = server.read_batches(f"SELECT {select} FROM {server.dialect.quote(CANONICAL, name)}", schema)
            con.execute(f"DELETE FROM {name}")
            con.register("server_rows", pa.RecordBatchReader.from_batches(schema, batches))
            try:
                con.execute(f"INSERT INTO {name} SELECT * FROM server_rows")
            finally:
                con.unregister("server_rows")
            read += int(con.execute(f"SELECT count(*) FROM {name}").fetchall()[0][0])
        record_costs.forget(store)  # the cost lines were replaced wholesale: the next refresh rebuilds their sums
    return read


def _move(server: Server, name: str) -> None:
    columns = ", ".join(server.dialect.quote(c.name) for c in layout.table(CANONICAL, name).columns)
    server.execute(
        f"INSERT INTO {server.dialect.quote(CANONICAL, name)} ({columns}) "
        f"SELECT {columns} FROM {server.dialect.quote(STAGING, canonical_staging(name))}"
    )


def _clear_staging(server: Server) -> None:
    for name in (*KEYED_TABLES, *WHOLE_TABLES):
        server.execute(f"TRUNCATE TABLE {server.dialect.quote(STAGING, canonical_staging(name))}")
