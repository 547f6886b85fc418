"""One lock on the ICS SQL Server for icsbench's loads and refreshes, so two never overlap.

It is a session lock (sp_getapplock on SQL Server, an advisory lock on PostgreSQL): when the process holding it dies or
its connection is cut, the server releases it, so a crashed refresh never blocks the next one.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager, suppress

from engine.errors import ServerError
from engine.store.server.connection import Server

LOCK_NAME = "icsbench refresh"


@contextmanager
def exclusive(server: Server, doing: str) -> Iterator[None]:
    """Hold the lock while `doing` (a load, a refresh); refuse at once, naming the reason, when someone else has it."""
    if not server.scalar(server.dialect.batch("lock"), [LOCK_NAME]):
        raise ServerError(
            f"cannot start {doing}: another icsbench load or refresh is running on the ICS SQL Server. "
            "Nothing was changed; try again when it has finished."
        )
    try:
        yield
    finally:
        # the connection is gone, and the lock with it
        with suppress(ServerError):
            server.execute(server.dialect.batch("unlock"), [LOCK_NAME])
