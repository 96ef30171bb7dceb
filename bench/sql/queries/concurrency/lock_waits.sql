-- Backends of this database right now: active, and waiting on the lock manager's LWLocks.
SELECT count(*) FILTER (WHERE state = 'active') AS active,
       count(*) FILTER (WHERE wait_event_type = 'LWLock' AND wait_event = 'LockManager') AS lock_manager,
       count(*) FILTER (WHERE wait_event_type = 'Lock') AS heavyweight
FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()
