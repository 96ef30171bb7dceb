-- The tier's schema cache (PostgREST's SchemaCache, the part the tier plans with), for the exposed
-- schema $1: its tables and views with their columns, the single-column foreign keys between two of
-- its tables (and whether the key is also the child's primary key or unique: a to-one embed), and
-- its functions with their named arguments, return type and volatility.
SELECT json_build_object(
  'tables', (SELECT coalesce(json_object_agg(c.relname, (
                SELECT json_agg(a.attname ORDER BY a.attnum) FROM pg_attribute a
                WHERE a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped)), '{}')
             FROM pg_class c
             WHERE c.relnamespace = $1::regnamespace AND c.relkind IN ('r', 'v', 'm', 'p', 'f')),
  'fks', (SELECT coalesce(json_agg(json_build_object(
              'child', cl.relname, 'column', ca.attname, 'parent', pl.relname, 'ref', pa.attname,
              'unique', EXISTS (SELECT 1 FROM pg_constraint u WHERE u.conrelid = k.conrelid
                                AND u.contype IN ('p', 'u') AND u.conkey = k.conkey))
              ORDER BY cl.relname, k.conname), '[]')
          FROM pg_constraint k
          JOIN pg_class cl ON cl.oid = k.conrelid
          JOIN pg_class pl ON pl.oid = k.confrelid
          JOIN pg_attribute ca ON ca.attrelid = k.conrelid AND ca.attnum = k.conkey[1]
          JOIN pg_attribute pa ON pa.attrelid = k.confrelid AND pa.attnum = k.confkey[1]
          WHERE k.contype = 'f' AND cardinality(k.conkey) = 1
            AND cl.relnamespace = $1::regnamespace AND pl.relnamespace = $1::regnamespace),
  'functions', (SELECT coalesce(json_object_agg(p.proname, json_build_object(
                    'args', coalesce(p.proargnames, '{}'),
                    'types', (SELECT coalesce(json_agg(format_type(t, NULL) ORDER BY n), '[]')
                              FROM unnest(p.proargtypes) WITH ORDINALITY AS x(t, n)),
                    'scalar', NOT p.proretset AND (SELECT typtype FROM pg_type WHERE oid = p.prorettype) <> 'c',
                    'volatile', p.provolatile = 'v')), '{}')
                FROM pg_proc p WHERE p.pronamespace = $1::regnamespace AND p.prokind = 'f')
) AS cache
