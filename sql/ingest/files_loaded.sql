-- files_loaded: the extract files the store holds, by name and size, so a folder can be checked for new ones.
-- Grain: one row per file name and size that loaded (a load that failed or was interrupted does not count; a file
-- skipped because the same contents loaded, or one with no rows, does).
SELECT DISTINCT file_name, file_bytes
FROM loads
WHERE status NOT IN ('failed', 'running', 'interrupted');
