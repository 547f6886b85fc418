"""Ingest: read provider extracts, map and validate them, pseudonymise NHS numbers and load the store."""

from engine.ingest.control_totals import read as read_control_totals
from engine.ingest.files import load_file, load_files
from engine.ingest.load_log import LoadResult

__all__ = ["LoadResult", "load_file", "load_files", "read_control_totals"]
