-- pg_buffercache (PostgreSQL 18: pg_buffercache_evict_relation) for the cold cells.
CREATE EXTENSION IF NOT EXISTS pg_buffercache
