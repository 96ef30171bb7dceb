-- Relation locks this backend holds now, and how many of them were taken fast-path.
SELECT count(*) AS locks, count(*) FILTER (WHERE fastpath) AS fastpath
FROM pg_locks WHERE pid = pg_backend_pid() AND locktype = 'relation'
