-- Which of icsbench's roles exist (for `icsbench db check`). Grain: one row per role found. Parameters: none.
SELECT name FROM sys.database_principals WHERE type = 'R' AND name IN ('icsbench_reader', 'icsbench_writer');
