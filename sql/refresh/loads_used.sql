-- The data a refresh is about to use, for the refresh log: the last load, how many loads and files are held (loads
-- that saved rows; not those that failed, were interrupted, were skipped as repeats or held no rows).
SELECT max(load_id) AS last_load_id, count(*) AS loads, count(DISTINCT file_name) AS files
FROM loads
WHERE status IN ('loaded', 'loaded_with_rejections');
