-- Rows and on-disk size of every seeded table.
SELECT n.nspname || '.' || c.relname AS "table", c.reltuples::bigint AS rows_estimate,
       pg_table_size(c.oid) AS heap_bytes, pg_indexes_size(c.oid) AS index_bytes
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE c.relkind = 'r' AND n.nspname IN ('auth', 'public')
ORDER BY 1
