-- The data a refresh is about to use, for the refresh log: the last load, how many loads and files are held.
SELECT max(load_id) AS last_load_id, count(*) AS loads, count(DISTINCT file_name) AS files
FROM loads
WHERE status <> 'failed';
