-- A refresh whose files were published (the published folder's current.json names it) but whose run stopped before
-- it logged success was marked interrupted when the store was next opened; it did succeed, as far as anyone reading
-- the published files can tell, so the log says so. Parameter: $refresh_id (the one current.json names).
UPDATE refresh_log
SET status = 'succeeded',
    message = 'published; the run stopped before it logged this (the snapshot status, quality and unsuppressed '
        || 'exports read was renewed by the next load or refresh)'
WHERE refresh_id = $refresh_id AND status = 'interrupted';
