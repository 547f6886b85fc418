-- The tables on the server that could hold a trust's data: every base table outside icsbench's own schemas.
-- Grain: one row per table. Works on SQL Server and PostgreSQL alike (INFORMATION_SCHEMA).
--   table_schema, table_name  the table, matched against the [[server.tables]] patterns as schema.table
-- Parameters: icsbench's four schema names (left out).
SELECT table_schema, table_name
FROM information_schema.tables
WHERE table_type = 'BASE TABLE'
  AND table_schema NOT IN (?, ?, ?, ?)
  AND table_schema NOT IN ('information_schema', 'pg_catalog', 'sys')
ORDER BY table_schema, table_name;
