"""The ICS SQL Server: the canonical store for a whole ICS, reached through ODBC (see docs/sql-server.md)."""

from engine.config import IcsConfig
from engine.errors import ConfigError, ServerError

try:
    from engine.store.server.connection import Server
except ImportError as exc:  # pyodbc or arrow-odbc missing, or the unixODBC library they load
    raise ServerError(
        f"the ICS SQL Server needs icsbench's SQL Server extras, which cannot be loaded here ({exc}). Install them "
        'with `pip install "ics-plics-benchmarking[sqlserver]"` (on Linux also the unixodbc package) and Microsoft\'s '
        "ODBC Driver 18 for SQL Server."
    ) from exc


def connect(config: IcsConfig) -> Server:
    """Connect to the server the config's [server] section names."""
    if config.server is None:
        raise ConfigError(
            'the config has no [server] section: add one with connection = "<ODBC connection string>" to use the '
            "ICS SQL Server (see docs/sql-server.md)"
        )
    return Server(config.server)


__all__ = ["Server", "connect"]
