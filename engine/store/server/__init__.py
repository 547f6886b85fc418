"""The ICS SQL Server: the canonical store for a whole ICS, reached through ODBC (see docs/sql-server.md).

Importing this package needs nothing beyond icsbench's core: `layout`, `render` and the other pure modules load
anywhere (the Spark lake and the table shapes use them). Only `connection` needs the SQL Server extras (pyodbc,
arrow-odbc), and it says how to install them when they are missing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from engine.config import IcsConfig
from engine.errors import ConfigError

if TYPE_CHECKING:
    from engine.store.server.connection import Server


def connect(config: IcsConfig) -> Server:
    """Connect to the server the config's [server] section names."""
    if config.server is None:
        raise ConfigError(
            'the config has no [server] section: add one with connection = "<ODBC connection string>" to use the '
            "ICS SQL Server (see docs/sql-server.md)"
        )
    from engine.store.server.connection import Server

    return Server(config.server)


def __getattr__(name: str) -> Any:
    """`Server` loads the ODBC drivers' modules, so it is imported only when asked for."""
    if name == "Server":
        from engine.store.server.connection import Server

        return Server
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = ["Server", "connect"]
