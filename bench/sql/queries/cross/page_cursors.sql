-- $2 page cursors drawn at random (seeded by $1), each followed by at least $3 profiles.
SELECT id::text FROM profiles
WHERE id < (SELECT id FROM profiles ORDER BY id DESC OFFSET $3 LIMIT 1)
ORDER BY md5(id::text || $1)
LIMIT $2
