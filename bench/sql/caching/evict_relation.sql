-- Drop one relation's pages from shared buffers (dirty ones are written first).
SELECT buffers_evicted, buffers_flushed, buffers_skipped FROM pg_buffercache_evict_relation(%(relation)s::regclass)
