"""Talk to the ICS SQL Server through ODBC: pyodbc for statements, arrow-odbc for bulk Arrow reads and writes.

The same code drives SQL Server (ODBC Driver 18) for an ICS and PostgreSQL (psqlODBC) in the tests; the few statements
that differ between the two live in `sql/mssql/server/` and `sql/postgres/server/` and `Dialect` picks them. Values
always travel as parameters (`?`); identifiers are only ever names from the engine's own catalog, quoted.

Secrets: the connection string in the config may not hold a password. A SQL login's password comes from the
environment variable the config names or from the OS keyring, is added only to the string handed to the driver, and
every message shows the connection string with secrets blanked (`shown`).
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from typing import Any, Literal

import pyarrow as pa

from engine import sql_files
from engine.config import ServerSection
from engine.errors import ServerError

try:
    import pyodbc
    from arrow_odbc import Error as ArrowOdbcError
    from arrow_odbc import insert_into_table, read_arrow_batches_from_odbc
except ImportError as exc:  # pyodbc or arrow-odbc missing, or the unixODBC library they load
    raise ServerError(
        f"the ICS SQL Server needs icsbench's SQL Server extras, which cannot be loaded here ({exc}). Install them "
        'with `pip install "ics-plics-benchmarking[sqlserver]"` (on Linux also the unixodbc package) and Microsoft\'s '
        "ODBC Driver 18 for SQL Server."
    ) from exc

KEYRING_SERVICE = "icsbench"
WRITE_CHUNK_ROWS = 20_000
READ_BATCH_ROWS = 100_000
MAX_TEXT_CHARS = 4000
_SECRET = re.compile(r"(?i)\b(pwd|password)\s*=\s*(\{(?:[^}]|\}\})*\}|[^;]*)")


@dataclass(frozen=True)
class Dialect:
    """What differs between the database products icsbench talks to through ODBC."""

    name: Literal["tsql", "postgres"]  # the sqlglot dialect
    product: str  # as the ODBC driver reports it (SQL_DBMS_NAME)
    folder: str  # sql/<folder>/server/ holds this product's own statements

    def sql(self, name: str) -> str:
        """The text of one of this product's own statements, e.g. sql('lock')."""
        return sql_files.read(f"{self.folder}/server/{name}.sql")

    def batch(self, name: str) -> str:
        """One of this product's statements as a single batch (comment lines dropped), for texts that declare
        variables and so must run whole."""
        text = self.sql(name)
        return "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("--")).strip()

    def statistics(self, table: str) -> str | None:
        """The statement that gathers planner statistics on a table just filled, where the server needs telling:
        PostgreSQL plans joins on work tables badly without them; SQL Server makes its own on first use."""
        return f"ANALYZE {table}" if self.name == "postgres" else None

    def push_down_session(self) -> list[str]:
        """Planner settings for a push-down refresh's session. PostgreSQL (the tests' stand-in) underestimates the
        rows of joined CTEs and picks nested loops that take minutes; hash joins take a second. SQL Server is left to
        its own optimiser."""
        return ["SET enable_nestloop = off"] if self.name == "postgres" else []

    def quote(self, *parts: str) -> str:
        """A (schema-)qualified name, each part quoted: [a].[b] on SQL Server, "a"."b" on PostgreSQL."""
        if self.name == "tsql":
            return ".".join("[" + p.replace("]", "]]") + "]" for p in parts)
        return ".".join('"' + p.replace('"', '""') + '"' for p in parts)


SQL_SERVER = Dialect("tsql", "Microsoft SQL Server", "mssql")
POSTGRES = Dialect("postgres", "PostgreSQL", "postgres")
DIALECTS = (SQL_SERVER, POSTGRES)


def odbc_value(value: str) -> str:
    """A value for an ODBC connection string, in braces when it holds `;`, `{`, `}`, `=` or edge spaces."""
    if any(c in value for c in ";{}=") or value != value.strip():
        return "{" + value.replace("}", "}}") + "}"
    return value


def shown(text: str) -> str:
    """Text (a connection string, a driver message) with any password blanked, safe for logs and messages."""
    return _SECRET.sub(lambda m: f"{m.group(1)}=***", text)


def connection_string(section: ServerSection) -> str:
    """The connection string the driver gets: the config's string plus the SQL login and its password, if any."""
    parts = [section.connection.strip().rstrip(";")]
    if section.username:
        parts.append(f"UID={odbc_value(section.username)}")
    password = _password(section)
    if password is not None:
        parts.append(f"PWD={odbc_value(password)}")
    return ";".join(parts) + ";"


def _password(section: ServerSection) -> str | None:
    if section.password_env:
        value = os.environ.get(section.password_env)
        if not value:
            raise ServerError(
                f"the SQL Server password for {section.username} is read from the environment variable "
                f"{section.password_env}, which is not set. Set it in the session that runs icsbench (never in the "
                "config file)."
            )
        return value
    if section.password_keyring:
        import keyring
        from keyring.errors import KeyringError

        assert section.username is not None  # the config insists on it
        try:
            value = keyring.get_password(KEYRING_SERVICE, section.username)
        except KeyringError as exc:
            raise ServerError(f"the OS keyring could not be read ({exc}); use password_env instead") from exc
        if value is None:
            raise ServerError(
                f"the OS keyring has no password for {section.username} under the service '{KEYRING_SERVICE}'. "
                f"Store it once with `keyring set {KEYRING_SERVICE} {section.username}`."
            )
        return value
    return None


class Server:
    """An open connection to the ICS SQL Server (autocommit, except inside `transaction()`)."""

    def __init__(self, section: ServerSection, *, write_workers: int | None = None) -> None:
        self._connection_string = connection_string(section)
        self.shown = shown(self._connection_string)
        self.write_workers = write_workers or section.write_workers
        self.con = _connect(self._connection_string, self.shown)
        product = str(self.con.getinfo(pyodbc.SQL_DBMS_NAME))
        dialect = next((d for d in DIALECTS if d.product == product), None)
        if dialect is None:
            self.con.close()
            raise ServerError(
                f"{self.shown}: icsbench works with SQL Server (or PostgreSQL for its tests), not {product}"
            )
        self.dialect = dialect

    def close(self) -> None:
        # the connection is already gone (killed, or the server went away)
        with suppress(pyodbc.Error):
            self.con.close()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        with self._errors(sql):
            self.con.execute(sql, *params)

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._errors(sql):
            cursor = self.con.execute(sql, *params)
            while cursor.description is None and cursor.nextset():
                pass  # skip the row counts of statements before the SELECT (a T-SQL batch)
            return [tuple(row) for row in cursor.fetchall()]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return found[0][0] if found else None

    @contextmanager
    def transaction(self) -> Iterator[Server]:
        """All or nothing. If the connection dies inside, the server rolls back on its own: nothing is half-done."""
        self.con.autocommit = False
        try:
            yield self
            with self._errors("COMMIT"):
                self.con.commit()
        except BaseException:
            # the connection is gone; the server has rolled the transaction back
            with suppress(pyodbc.Error):
                self.con.rollback()
            raise
        finally:
            with suppress(pyodbc.Error):
                self.con.autocommit = True

    def read_arrow(self, query: str, schema: pa.Schema | None = None, params: Sequence[str] = ()) -> pa.Table:
        """A query's rows as one Arrow table, fetched in column batches (arrow-odbc). With `schema`, the columns come
        back as those types: drivers describe some types loosely (psqlODBC's double reads as a 4-byte float)."""
        with self._errors(query):
            reader = self._reader(query, schema, params)
            return pa.Table.from_batches(list(reader), schema=schema or reader.schema)

    def read_batches(
        self, query: str, schema: pa.Schema | None = None, params: Sequence[str] = ()
    ) -> Iterator[pa.RecordBatch]:
        with self._errors(query):
            yield from self._reader(query, schema, params)

    def _reader(self, query: str, schema: pa.Schema | None, params: Sequence[str]) -> Any:
        return read_arrow_batches_from_odbc(
            query=query,
            connection_string=self._connection_string,
            batch_size=READ_BATCH_ROWS,
            parameters=list(params) or None,
            max_text_size=MAX_TEXT_CHARS,
            schema=schema,
        )

    def write_arrow(self, table: tuple[str, str], data: pa.Table) -> None:
        """Append rows to an existing table, in chunks over up to `write_workers` connections at once.

        Not one transaction: write to a staging table and move the rows in with a transaction (see publish).
        """
        if data.num_rows == 0:
            return
        target = self.dialect.quote(*table)
        quoted = data.rename_columns([self.dialect.quote(name) for name in data.column_names])
        workers = max(1, min(self.write_workers, data.num_rows // WRITE_CHUNK_ROWS))
        step = -(-data.num_rows // workers)
        parts = [quoted.slice(start, step) for start in range(0, data.num_rows, step)]

        def write(part: pa.Table) -> None:
            reader = pa.RecordBatchReader.from_batches(part.schema, part.to_batches(WRITE_CHUNK_ROWS))
            insert_into_table(
                reader=reader, chunk_size=WRITE_CHUNK_ROWS, table=target, connection_string=self._connection_string
            )

        with self._errors(f"INSERT INTO {target}"):
            if len(parts) == 1:
                write(parts[0])
            else:
                with ThreadPoolExecutor(len(parts)) as pool:
                    list(pool.map(write, parts))

    @contextmanager
    def _errors(self, sql: str) -> Iterator[None]:
        try:
            yield
        except (pyodbc.Error, ArrowOdbcError) as exc:
            first_line = sql.strip().splitlines()[0] if sql.strip() else sql
            raise ServerError(f"the ICS SQL Server refused `{first_line[:120]}`: {_message(exc)}") from None


def _connect(connection: str, safe: str) -> pyodbc.Connection:
    try:
        return pyodbc.connect(connection, autocommit=True)
    except pyodbc.Error as exc:
        text = _message(exc)
        lowered = text.lower()
        if "im002" in lowered or "can't open lib" in lowered or "data source name not found" in lowered:
            raise ServerError(
                f"{safe}: the ODBC driver it names is not installed. Install Microsoft's 'ODBC Driver 18 for SQL "
                "Server' (or correct Driver= in [server] connection)."
            ) from None
        if "28000" in text or "28p01" in lowered or "authentication failed" in lowered or "login failed" in lowered:
            raise ServerError(
                f"{safe}: the server refused the login. Check the user name and the password in the environment "
                "variable or keyring the config names (for Windows sign-in: Trusted_Connection=yes)."
            ) from None
        raise ServerError(f"{safe}: cannot connect: {text}") from None


def _message(exc: BaseException) -> str:
    """The driver's own words, secrets blanked, without pyodbc's tuple wrapping."""
    args: tuple[object, ...] = tuple(getattr(exc, "args", ()))
    text = str(args[1]) if len(args) >= 2 and isinstance(args[1], str) else str(exc)
    return shown(text)
