-- The columns of every table and view in icsbench's schemas on the server (for `icsbench db check`).
-- Grain: one row per column. Works on SQL Server and PostgreSQL alike (INFORMATION_SCHEMA).
--   table_schema, table_name  the table or view; table_type  BASE TABLE or VIEW; column_name  the column
-- Parameters: the four schema names.
SELECT c.table_schema, c.table_name, t.table_type, c.column_name
FROM information_schema.columns AS c
JOIN information_schema.tables AS t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
WHERE c.table_schema IN (?, ?, ?, ?);
