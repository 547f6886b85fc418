-- The latest refresh attempt of any outcome (its results are the store's, whether or not it was published), for
-- deciding whether a refresh has anything new to compute. No row before the first refresh.
SELECT refresh_id, started_at, finished_at, status, inputs_sha256, cost_loaded, tables
FROM refresh_log
ORDER BY refresh_id DESC
LIMIT 1;
