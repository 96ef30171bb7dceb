-- Users drawn uniformly from the whole population (every user with a profile), deterministic per seed.
SELECT p.id FROM profiles p ORDER BY md5(p.id::text || %(seed)s) LIMIT %(n)s
