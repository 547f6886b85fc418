"""`icsbench db init` and `icsbench db check`: create icsbench's objects on the server, and say what is missing."""

from __future__ import annotations

from dataclasses import dataclass

from engine import sql_files
from engine.progress import Progress, silent
from engine.store.server import layout
from engine.store.server.connection import Server

_ROLES = ("icsbench_reader", "icsbench_writer")


@dataclass(frozen=True)
class Finding:
    """One thing `db check` found missing or different, and what to do about it."""

    what: str  # e.g. "table ics_results.system_cost"
    problem: str  # e.g. "missing", "has no column total_cost"


def init(server: Server, progress: Progress = silent) -> int:
    """Run every init statement (each idempotent); how many ran."""
    statements = layout.init_statements(server.dialect)
    for done, statement in enumerate(statements):
        progress("creating icsbench's objects", done, len(statements))
        server.execute(statement)
    progress("creating icsbench's objects", len(statements), len(statements))
    return len(statements)


def check(server: Server) -> list[Finding]:
    """Every schema, table, view, column and role icsbench needs that the server lacks. Empty when all is there."""
    found: dict[tuple[str, str], tuple[str, set[str]]] = {}
    for schema, name, kind, column in server.rows(sql_files.read("server/columns_present.sql"), layout.SCHEMAS):
        entry = found.setdefault((str(schema), str(name)), (str(kind), set()))
        entry[1].add(str(column).lower())
    findings: list[Finding] = []
    expected = [("table", t) for t in layout.tables()] + [("view", v) for v in layout.views()]
    for kind, wanted in expected:
        label = f"{kind} {wanted.schema}.{wanted.name}"
        have = found.get(wanted.key)
        if have is None:
            findings.append(Finding(label, "missing"))
            continue
        missing = [c.name for c in wanted.columns if c.name.lower() not in have[1]]
        if missing:
            findings.append(Finding(label, f"has no column {', '.join(missing)}"))
    roles = {str(row[0]) for row in server.rows(server.dialect.sql("roles_present"))}
    findings += [
        Finding(f"role {role}", "missing (or hidden from this login: check as a db_owner)")
        for role in _ROLES
        if role not in roles
    ]
    return findings
