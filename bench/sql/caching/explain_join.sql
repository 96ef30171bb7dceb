-- The bundle's joined statement with its buffers: proof of where its pages came from.
EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON)
