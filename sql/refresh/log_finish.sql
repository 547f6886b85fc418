-- Record how a refresh ended. Parameters: $refresh_id, $finished_at, $status (succeeded or failed), $message,
-- $tables (JSON: rows and seconds per result table), $cost_loaded.
UPDATE refresh_log
SET finished_at = $finished_at, status = $status, message = $message, tables = $tables, cost_loaded = $cost_loaded
WHERE refresh_id = $refresh_id;
