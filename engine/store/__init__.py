"""The canonical store: a DuckDB file by default."""

from engine.store.duckdb_store import Store, check_store_path, in_progress, open_store

__all__ = ["Store", "check_store_path", "in_progress", "open_store"]
