"""Find the project's .sql files: `sql/` in a checkout, `engine/_sql` in an installed wheel."""

from __future__ import annotations

from functools import cache
from pathlib import Path

_CANDIDATES = (Path(__file__).resolve().parent / "_sql", Path(__file__).resolve().parent.parent / "sql")


@cache
def sql_dir() -> Path:
    for candidate in _CANDIDATES:
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError("the sql/ folder is missing from this installation; reinstall ics-plics-benchmarking")


def read(relative: str) -> str:
    """The text of one SQL file, e.g. read('ingest/stage_keys.sql')."""
    return (sql_dir() / relative).read_text(encoding="utf-8")


def statements(text: str) -> list[str]:
    """Split a SQL file into statements at lines ending in `;`, dropping whole-line comments (headers, notes)."""
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            out.append(_without_comment_lines(current))
            current = []
    out.append(_without_comment_lines(current))
    return [statement for statement in out if statement]


def _without_comment_lines(lines: list[str]) -> str:
    return "\n".join(line for line in lines if not line.lstrip().startswith("--")).strip()
