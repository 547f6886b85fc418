-- Mark loads and refreshes that a stopped process left `running` (the program was closed or the computer restarted)
-- as `interrupted`. Run when the store is opened for writing: DuckDB's lock means no other process is writing then,
-- so a `running` row is another process's only if this process is running it itself ($own_loads, $own_refreshes).
-- A load is one transaction per file, so nothing of an interrupted file is in the store; an interrupted refresh left
-- the published files of the last successful refresh in place.
UPDATE loads
SET status = 'interrupted', finished_at = $now,
    message = 'the load stopped before this file was saved (the program was closed or the computer restarted): '
        || 'nothing from it is in the store; load it again'
WHERE status = 'running' AND NOT list_contains($own_loads, load_id);

UPDATE refresh_log
SET status = 'interrupted', finished_at = $now,
    message = 'the refresh stopped before it finished (the program was closed or the computer restarted): '
        || 'the published files are still those of the last successful refresh; run the refresh again'
WHERE status = 'running' AND NOT list_contains($own_refreshes, refresh_id);
