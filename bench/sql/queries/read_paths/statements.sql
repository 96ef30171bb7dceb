-- Server time per statement since the last reset, for this database (pg_stat_statements).
SELECT query, calls, total_exec_time AS exec_ms, rows
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
