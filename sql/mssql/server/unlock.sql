-- Release icsbench's lock (sql/mssql/server/lock.sql). Parameter: the lock's name.
EXEC sp_releaseapplock @Resource = ?, @LockOwner = 'Session';
