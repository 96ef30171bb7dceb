-- The relations a bundle reads: its tables, their indexes, TOAST tables and TOAST indexes, with
-- the path of each one's main file relative to the data directory.
WITH t AS (SELECT to_regclass(name)::oid AS oid FROM unnest(%(tables)s::text[]) AS name),
rels AS (
  SELECT oid FROM t
  UNION SELECT i.indexrelid FROM pg_index i JOIN t ON i.indrelid = t.oid
  UNION SELECT c.reltoastrelid FROM pg_class c JOIN t ON c.oid = t.oid WHERE c.reltoastrelid <> 0
  UNION SELECT i.indexrelid FROM pg_index i JOIN pg_class c ON i.indrelid = c.reltoastrelid JOIN t ON c.oid = t.oid
)
SELECT rels.oid::regclass::text AS relation, pg_relation_filepath(rels.oid) AS filepath
FROM rels ORDER BY 1
