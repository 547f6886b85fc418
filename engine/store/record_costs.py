"""Each record's cost lines added up per period, kept in the DuckDB store as they are loaded (issue 21).

`sql/metrics/record_costs.sql` is the one definition: the sums of a record's cost lines of one period, by cost driver
and activity unit. Spark and the server run it over their cost lines in every refresh; the DuckDB store keeps its
rows in `kept_record_costs` instead, so a refresh adds up about one row per record rather than five cost lines:

* `icsbench load` deletes the rows of the periods it replaces with the predicate that deletes their cost lines, and
  adds the sums of the lines it inserts (the same query over that load's lines), in the load's transaction;
* the table is rebuilt from every cost line when the query's fingerprint (kept in `meta`) is not the one the store
  was built with: a store made before the table existed, a new driver or unit in the query, or cost lines replaced
  wholesale (a server's `pull` forgets the fingerprint).

A record whose lines two loads of one period wrote (a run's second file for a period adds to the first) has a row
for each load; the refresh adds them up. Pounds are exact however the lines are grouped.
"""

from __future__ import annotations

import hashlib

from engine import sql_files
from engine.store.duckdb_store import Store

TABLE = "kept_record_costs"
_META_KEY = "record_costs_sha256"
_FROM = "FROM cost_lines\n"


def query() -> str:
    """The query of sql/metrics/record_costs.sql (its header comment dropped, as engine.metrics.catalog reads it: the
    store sits below the metrics layer, so it reads the file itself)."""
    lines = sql_files.read("metrics/record_costs.sql").splitlines()
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip().removesuffix(";").strip()


def fingerprint() -> str:
    """SHA-256 of the query the kept rows were made with."""
    return hashlib.sha256(query().encode("utf-8")).hexdigest()


def is_current(store: Store) -> bool:
    kept = store.scalar("SELECT value FROM meta WHERE key = $key", {"key": _META_KEY})
    if kept != fingerprint():
        return False
    return bool(store.count(f"SELECT count(*) FROM duckdb_tables() WHERE table_name = '{TABLE}' AND NOT temporary"))


def ensure(store: Store) -> bool:
    """Rebuild the kept rows from every cost line unless they are current; True when it rebuilt them. Run inside
    the caller's transaction, so a failure leaves the store as it was."""
    if is_current(store):
        return False
    store.con.execute(f"CREATE OR REPLACE TABLE {TABLE} AS {query()}")
    forget(store)
    store.con.execute("INSERT INTO meta VALUES ($key, $value)", {"key": _META_KEY, "value": fingerprint()})
    return True


def forget(store: Store) -> None:
    """Mark the kept rows stale (cost lines were replaced other than by a load): the next use rebuilds them."""
    store.con.execute("DELETE FROM meta WHERE key = $key", {"key": _META_KEY})


def delete(store: Store, where: str) -> None:
    """Delete the rows of the cost lines `where` selects (a predicate on setting, org_code, fin_year and period)."""
    store.con.execute(f"DELETE FROM {TABLE} WHERE {where}")


def add_load(store: Store, load_id: int) -> None:
    """Add the sums of the cost lines one load inserted."""
    text = query()
    if text.count(_FROM) != 1:
        raise AssertionError("sql/metrics/record_costs.sql must read cost_lines once, as `FROM cost_lines`")
    lines = "FROM (SELECT * FROM cost_lines WHERE load_id = $load_id) AS cost_lines\n"
    store.con.execute(f"INSERT INTO {TABLE} {text.replace(_FROM, lines)}", {"load_id": load_id})


def view_sql() -> str:
    """The refresh's `record_costs`, read from the kept rows."""
    return f"CREATE OR REPLACE TEMP VIEW record_costs AS SELECT * FROM main.{TABLE}"
