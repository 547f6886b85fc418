-- Take icsbench's lock for this session without waiting: 1 when taken, 0 when another session holds it.
-- One lock for loads and refreshes, so two never overlap. Held by the session: a refresh that dies (or whose
-- connection is killed) releases it. Parameter: the lock's name.
SET NOCOUNT ON;
DECLARE @result INT;
EXEC @result = sp_getapplock @Resource = ?, @LockMode = 'Exclusive', @LockOwner = 'Session', @LockTimeout = 0;
SELECT CASE WHEN @result >= 0 THEN 1 ELSE 0 END AS taken;
