-- Record an export of a result table in export_log. Parameters: $exported_at, $refresh_id, $table_name, $file_path,
-- $row_count, $suppressed (published, or UNSUPPRESSED for the costing team's own use).
INSERT INTO export_log VALUES ($exported_at, $refresh_id, $table_name, $file_path, $row_count, $suppressed);
