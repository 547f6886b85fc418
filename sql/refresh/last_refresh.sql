-- The last successful refresh: id, when it finished and the cost it reconciled to. No row before the first refresh.
SELECT refresh_id, finished_at, cost_loaded
FROM refresh_log
WHERE status = 'succeeded'
ORDER BY refresh_id DESC
LIMIT 1;
