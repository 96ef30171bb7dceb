-- The ids of a page of users ($1 rows after the cursor id $2): what a per-user loop starts from.
SELECT id FROM profiles WHERE id > $2::uuid ORDER BY id LIMIT $1
