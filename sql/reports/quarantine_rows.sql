-- quarantine_rows: rejected rows for `icsbench quarantine`, oldest load first.
-- Grain: one row per rejected row problem. Input: the quarantine view. Parameter $file_name (or NULL for all).
--   file_name, row (as a spreadsheet shows it), org_code, check, column, reason (with the fix), value (as read).
SELECT file_name, "row", org_code, "check", "column", reason, value
FROM quarantine
WHERE $file_name IS NULL OR file_name = $file_name
ORDER BY load_id, "row";
