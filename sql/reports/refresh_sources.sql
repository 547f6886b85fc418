-- refresh_sources: the extracts behind the published results, for "when was this refreshed, from what".
-- Grain: one row per setting with data in the store.
-- Inputs: loads
-- Columns: setting; files (extract files whose data is held); last_loaded_at (when the newest of them was loaded,
--   UTC); newest_file (its name).
SELECT setting,
       count(DISTINCT file_name) AS files,
       max(finished_at) AS last_loaded_at,
       arg_max(file_name, finished_at) AS newest_file
FROM loads
WHERE status IN ('loaded', 'loaded_with_rejections') AND setting IS NOT NULL
GROUP BY setting
ORDER BY setting;
