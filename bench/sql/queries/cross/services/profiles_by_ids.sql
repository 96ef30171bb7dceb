-- profile service: the profiles of the given users ($1: uuid[])
SELECT id, full_name, avatar_url FROM profiles WHERE id = ANY($1::uuid[])
