-- Users drawn with probability proportional to their activity (audit rows), without replacement
-- (Efraimidis-Spirakis keys from a hash of id and seed): deterministic per seed.
WITH a AS (SELECT user_id, count(*) AS n FROM auth_audit_log GROUP BY user_id),
u AS (
  SELECT p.id, a.n,
         (('x' || substr(md5(p.id::text || %(seed)s), 1, 8))::bit(32)::bigint + 1) / 4294967297.0 AS r
  FROM profiles p JOIN a ON a.user_id = p.id
)
SELECT id FROM u ORDER BY ln(r) / n DESC LIMIT %(n)s
