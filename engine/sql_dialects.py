"""Where sqlglot writes (or reads back) a dialect wrongly for us, and the fixes: one table-like place for every quirk.

`BEFORE_WRITING` lists, per dialect, what to change in a DuckDB query's tree before writing it in that dialect (the
metric snapshots, push-down and the server's own queries all use it); `tsql_type_as_duckdb` corrects the T-SQL types
sqlglot reads back. Both the metrics (engine.metrics.transpile) and the server code (engine.store.server.render) sit
above this module.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlglot import expressions as exp

_T = exp.DataType.Type

# --- Dialect quirks --------------------------------------------------------------------------------------------------

# SQL Server's reserved keywords (learn.microsoft.com/sql/t-sql/language-elements/reserved-keywords-transact-sql).
# sqlglot's T-SQL generator does not quote them, so a CTE or column DuckDB is happy to call `national`, `key`, `file`,
# `plan` or `percent` would make invalid T-SQL: `WITH national AS (...)` does not parse on SQL Server.
TSQL_RESERVED = frozenset(
    """
    ADD ALL ALTER AND ANY AS ASC AUTHORIZATION BACKUP BEGIN BETWEEN BREAK BROWSE BULK BY CASCADE CASE CHECK
    CHECKPOINT CLOSE CLUSTERED COALESCE COLLATE COLUMN COMMIT COMPUTE CONSTRAINT CONTAINS CONTAINSTABLE CONTINUE
    CONVERT CREATE CROSS CURRENT CURRENT_DATE CURRENT_TIME CURRENT_TIMESTAMP CURRENT_USER CURSOR DATABASE DBCC
    DEALLOCATE DECLARE DEFAULT DELETE DENY DESC DISK DISTINCT DISTRIBUTED DOUBLE DROP DUMP ELSE END ERRLVL ESCAPE
    EXCEPT EXEC EXECUTE EXISTS EXIT EXTERNAL FETCH FILE FILLFACTOR FOR FOREIGN FREETEXT FREETEXTTABLE FROM FULL
    FUNCTION GOTO GRANT GROUP HAVING HOLDLOCK IDENTITY IDENTITY_INSERT IDENTITYCOL IF IN INDEX INNER INSERT
    INTERSECT INTO IS JOIN KEY KILL LEFT LIKE LINENO LOAD MERGE NATIONAL NOCHECK NONCLUSTERED NOT NULL NULLIF OF OFF
    OFFSETS ON OPEN OPENDATASOURCE OPENQUERY OPENROWSET OPENXML OPTION OR ORDER OUTER OVER PERCENT PIVOT PLAN
    PRECISION PRIMARY PRINT PROC PROCEDURE PUBLIC RAISERROR READ READTEXT RECONFIGURE REFERENCES REPLICATION RESTORE
    RESTRICT RETURN REVERT REVOKE RIGHT ROLLBACK ROWCOUNT ROWGUIDCOL RULE SAVE SCHEMA SECURITYAUDIT SELECT
    SEMANTICKEYPHRASETABLE SEMANTICSIMILARITYDETAILSTABLE SEMANTICSIMILARITYTABLE SESSION_USER SET SETUSER SHUTDOWN
    SOME STATISTICS SYSTEM_USER TABLE TABLESAMPLE TEXTSIZE THEN TO TOP TRAN TRANSACTION TRIGGER TRUNCATE TRY_CONVERT
    TSEQUAL UNION UNIQUE UNPIVOT UPDATE UPDATETEXT USE USER VALUES VARYING VIEW WAITFOR WHEN WHERE WHILE WITH WITHIN
    WRITETEXT
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


def _quote_tsql_reserved(node: exp.Expression) -> exp.Expression:
    if isinstance(node, exp.Identifier) and not node.quoted and node.name.upper() in TSQL_RESERVED:
        return exp.to_identifier(node.name, quoted=True)
    return node


def _drop_cte_materialization(node: exp.Expression) -> exp.Expression:
    """`WITH x AS [NOT] MATERIALIZED (...)` is a hint to DuckDB (and PostgreSQL) that T-SQL and Spark SQL do not
    parse, and sqlglot writes it anyway: those engines decide for themselves (Spark's steps, engine.metrics.on_spark,
    compute a record-level CTE read twice once)."""
    if isinstance(node, exp.CTE) and node.args.get("materialized") is not None:
        node.set("materialized", None)
    return node


# What to change in the tree before writing a dialect, where sqlglot's own generator falls short.
BEFORE_WRITING: dict[str, tuple[Callable[[exp.Expression], exp.Expression], ...]] = {
    "tsql": (_quote_tsql_reserved, _drop_cte_materialization),
    "spark": (_drop_cte_materialization,),
}


_TEXT_TYPES = {_T.VARCHAR, _T.NVARCHAR, _T.CHAR, _T.NCHAR, _T.TEXT, _T.VARBINARY}


def tsql_type_as_duckdb(node: exp.Expression) -> exp.Expression:
    """Correct the T-SQL types sqlglot reads back into a different (or invalid) DuckDB type.

    - FLOAT: T-SQL FLOAT is FLOAT(53), an 8-byte double, but sqlglot reads it as its FLOAT type, which DuckDB writes
      as REAL (a 4-byte float). sqlglot writes every DuckDB DOUBLE, and the cast it adds to the left of each `/`, as
      FLOAT, so without this each of those would lose precision on the way back. FLOAT(1..24) is SQL Server's REAL.
      T-SQL REAL reaches us as the same node and also becomes DOUBLE; sqlglot never writes REAL, so that is moot.
    - VARCHAR(MAX) and the like: DuckDB has no MAX length (sqlglot writes TEXT(MAX), which DuckDB rejects).
    """
    if not isinstance(node, exp.DataType):
        return node
    if node.this == _T.FLOAT:
        size = node.expressions[0].this if node.expressions else None
        single = isinstance(size, exp.Literal) and size.is_int and int(size.name) <= 24
        return exp.DataType.build(_T.FLOAT if single else _T.DOUBLE)
    if node.this in _TEXT_TYPES and any(p.name.upper() == "MAX" for p in node.expressions):
        return exp.DataType(this=node.this)
    return node
