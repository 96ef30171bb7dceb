-- Relation locks a backend holds or waits for, on the application's tables (auth, public).
SELECT n.nspname || '.' || c.relname AS relation, l.mode, l.granted
FROM pg_locks l
JOIN pg_class c ON c.oid = l.relation
JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE l.locktype = 'relation' AND l.pid = %(pid)s AND n.nspname IN ('auth', 'public')
ORDER BY 1, 2
