-- Release icsbench's lock (sql/postgres/server/lock.sql). Parameter: the lock's name.
SELECT pg_advisory_unlock(hashtext(?));
