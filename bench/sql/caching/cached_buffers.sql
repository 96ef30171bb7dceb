-- Shared buffers currently holding pages of the given relations (0 right after an eviction).
SELECT count(*)
FROM pg_buffercache b
JOIN pg_class c ON b.relfilenode = pg_relation_filenode(c.oid)
WHERE b.reldatabase = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND c.oid = ANY (%(relations)s::regclass[])
