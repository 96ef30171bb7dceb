-- The ids of a page of users ($1 rows from offset $2, by signup): what a per-user loop starts from.
SELECT id FROM profiles ORDER BY created_at, id LIMIT $1 OFFSET $2
