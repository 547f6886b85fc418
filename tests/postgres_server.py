"""A real PostgreSQL server for the ODBC tests, started in a temporary folder and reached through psqlODBC.

No SQL Server can run here, so the server code's ODBC path (pyodbc statements, arrow-odbc bulk reads and writes,
transactions, the lock, killed connections) runs against PostgreSQL instead. It needs the Debian packages
`postgresql odbc-postgresql unixodbc` (scripts/install adds them). The cluster uses password logins, so every test
also goes through the config's password_env path. Each test gets its own database.
"""

from __future__ import annotations

import itertools
import os
import secrets
import shutil
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

PASSWORD_ENV = "ICSBENCH_TEST_SERVER_PASSWORD"
SUPERUSER = "icsbench_test"
DRIVER = "PostgreSQL Unicode"
# psqlODBC sends array inserts in batches of this many rows and prepares statements on the server.
DRIVER_OPTIONS = "BatchSize=10000;UseServerSidePrepare=1"


class PostgresUnavailableError(RuntimeError):
    """PostgreSQL or psqlODBC is not installed on this machine."""


def _bin_dir() -> Path:
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"))
    if found:
        return found[-1].parent
    initdb = shutil.which("initdb")
    if initdb:
        return Path(initdb).parent
    raise PostgresUnavailableError("PostgreSQL is not installed (apt-get install postgresql odbc-postgresql unixodbc)")


def _driver_installed() -> bool:
    try:
        import pyodbc
    except ImportError as exc:
        raise PostgresUnavailableError(f"pyodbc cannot load ({exc}); install unixodbc") from exc
    return DRIVER in pyodbc.drivers()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class PostgresServer:
    folder: Path
    port: int
    password: str
    bin_dir: Path
    run_as: list[str]
    _names: itertools.count[int] = field(default_factory=itertools.count)

    @classmethod
    def start(cls) -> PostgresServer:
        bin_dir = _bin_dir()
        if not _driver_installed():
            raise PostgresUnavailableError("psqlODBC is not installed (apt-get install odbc-postgresql unixodbc)")
        folder = Path(tempfile.mkdtemp(prefix="icsbench-pg-"))
        run_as: list[str] = []
        if os.geteuid() == 0:  # PostgreSQL refuses to run as root: run it as the postgres user the package made
            shutil.chown(folder, "postgres")
            run_as = ["runuser", "-u", "postgres", "--"]
        password = secrets.token_urlsafe(16)
        pwfile = folder / "pw"
        pwfile.write_text(password, encoding="utf-8")
        if run_as:
            shutil.chown(pwfile, "postgres")
        server = cls(folder, _free_port(), password, bin_dir, run_as)
        server._run(
            "initdb", "-D", str(folder / "data"), "-U", SUPERUSER, f"--pwfile={pwfile}", "-A", "scram-sha-256",
            "-E", "UTF8", "--no-sync", "--locale=C",
        )  # fmt: skip
        pwfile.unlink()
        for attempt in range(3):  # a port free when probed may be taken before the server binds it (parallel tests)
            options = f"-p {server.port} -k {folder} -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=50"
            try:
                server._run(
                    "pg_ctl", "-D", str(folder / "data"), "-o", options, "-l", str(folder / "log"), "-w", "start"
                )  # fmt: skip
                return server
            except RuntimeError:
                if attempt == 2:
                    raise
                server.port = _free_port()
        raise AssertionError("unreachable")

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.folder / "data"), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.folder, ignore_errors=True)

    def _run(self, program: str, *args: str) -> None:
        command = [*self.run_as, str(self.bin_dir / program), *args]
        done = subprocess.run(command, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            raise RuntimeError(f"{program} failed ({done.returncode}): {done.stderr or done.stdout}")

    def connection(self, database: str = "postgres") -> str:
        """The connection string a config would hold: no password in it."""
        return f"Driver={{{DRIVER}}};Servername=127.0.0.1;Port={self.port};Database={database};{DRIVER_OPTIONS}"

    def full_connection(self, database: str = "postgres") -> str:
        return f"{self.connection(database)};UID={SUPERUSER};PWD={self.password};"

    def new_database(self) -> str:
        """A fresh, empty database for one test."""
        import pyodbc

        name = f"ics_{next(self._names)}"
        with pyodbc.connect(self.full_connection(), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name}")
        return name

    def copy_database(self, template: str) -> str:
        """A fresh database holding what `template` holds (PostgreSQL copies the files: fast)."""
        import pyodbc

        name = f"ics_{next(self._names)}"
        with pyodbc.connect(self.full_connection(), autocommit=True) as con:
            con.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
        return name

    def terminate(self, pid: int) -> None:
        """Kill one session, as a crash or a cut network cable would."""
        import pyodbc

        with pyodbc.connect(self.full_connection(), autocommit=True) as con:
            con.execute("SELECT pg_terminate_backend(?)", pid).fetchall()

    def server_section(self, database: str, **extra: object) -> str:
        """A [server] section for an ICS config that uses `database` (its password comes from PASSWORD_ENV)."""
        lines = [
            "[server]",
            f'connection = "{self.connection(database)}"',
            f'username = "{SUPERUSER}"',
            f'password_env = "{PASSWORD_ENV}"',
        ]
        lines += [f"{key} = {_toml(value)}" for key, value in extra.items()]
        return "\n".join(lines) + "\n"

    def terminate_other_sessions(self, database: str, *, leave_pid: int | None = None) -> int:
        """Kill every connection to `database` (as a crash or a network cut would); how many were killed."""
        import pyodbc

        with pyodbc.connect(self.full_connection(), autocommit=True) as con:
            rows = con.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> coalesce(?, -1)",
                database,
                leave_pid,
            ).fetchall()
        return len(rows)


def _toml(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return '"' + str(value).replace("\\", "\\\\").replace('"', '\\"') + '"'
