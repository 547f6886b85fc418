"""The ICS SQL Server: the canonical store for a whole ICS, reached through ODBC (see docs/sql-server.md)."""

from engine.config import IcsConfig
from engine.errors import ConfigError
from engine.store.server.connection import Server


def connect(config: IcsConfig) -> Server:
    """Connect to the server the config's [server] section names."""
    if config.server is None:
        raise ConfigError(
            'the config has no [server] section: add one with connection = "<ODBC connection string>" to use the '
            "ICS SQL Server (see docs/sql-server.md)"
        )
    return Server(config.server)


__all__ = ["Server", "connect"]
