-- The foreign-key graph of a variant: what references what (drawn as the schema diagram).
SELECT conrelid::regclass::text AS "table", confrelid::regclass::text AS "references",
       (SELECT string_agg(attname, ',') FROM pg_attribute
         WHERE attrelid = conrelid AND attnum = ANY (conkey)) AS "column",
       confdeltype = 'c' AS on_delete_cascade
FROM pg_constraint
WHERE contype = 'f' AND connamespace IN ('public'::regnamespace, 'auth'::regnamespace)
ORDER BY 1, 2
