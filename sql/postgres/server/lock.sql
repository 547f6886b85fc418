-- Take icsbench's lock for this session without waiting: 1 when taken, 0 when another session holds it.
-- An advisory lock held by the session, released when it ends (so a killed refresh never leaves it behind).
-- Parameter: the lock's name.
SELECT CASE WHEN pg_try_advisory_lock(hashtext(?)) THEN 1 ELSE 0 END AS taken;
