-- Block counts and read time per statement since the last reset, for this database.
SELECT query, calls, shared_blks_hit, shared_blks_read, shared_blk_read_time AS read_ms
FROM pg_stat_statements
WHERE dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
