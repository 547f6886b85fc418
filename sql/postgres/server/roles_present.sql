-- Which of icsbench's roles exist (for `icsbench db check`). Grain: one row per role found. Parameters: none.
SELECT rolname FROM pg_roles WHERE rolname IN ('icsbench_reader', 'icsbench_writer');
