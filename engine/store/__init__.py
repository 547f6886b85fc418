"""The canonical store: a DuckDB file by default."""

from engine.store.duckdb_store import Store, open_store

__all__ = ["Store", "open_store"]
