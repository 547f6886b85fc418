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
    """Split a SQL file into statements at lines that end with `;` (our files keep one statement per such line)."""
    out: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        current.append(line)
        if line.rstrip().endswith(";") and not line.lstrip().startswith("--"):
            statement = "\n".join(current).strip()
            if any(part.strip() and not part.strip().startswith("--") for part in current):
                out.append(statement)
            current = []
    tail = "\n".join(current).strip()
    if tail and any(p.strip() and not p.strip().startswith("--") for p in current):
        out.append(tail)
    return out
