-- Backends of the application's load that wait on a lock now, by application_name.
SELECT application_name, pg_blocking_pids(pid) AS blockers
FROM pg_stat_activity
WHERE datname = current_database() AND application_name LIKE 'evolution_%%'
  AND cardinality(pg_blocking_pids(pid)) > 0
