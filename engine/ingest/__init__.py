"""Ingest: read provider extracts, map and validate them, pseudonymise NHS numbers and load the store."""

from engine.ingest.load import LoadResult, load_file, load_files, read_control_totals

__all__ = ["LoadResult", "load_file", "load_files", "read_control_totals"]
