-- Users sampled across the fan-out range: %(per_decile)s per decile of audit rows (the
-- heaviest spoke), plus the edge users: the heaviest, and users with no audit rows, no roles
-- or no chat sessions. Deterministic for a given seed.
WITH a AS (SELECT user_id, count(*) AS n FROM auth_audit_log GROUP BY user_id),
     r AS (SELECT user_id, count(*) AS n FROM user_roles GROUP BY user_id),
     c AS (SELECT user_id, count(*) AS n FROM chat_sessions GROUP BY user_id),
f AS (
  SELECT p.id, coalesce(a.n, 0) AS audit_rows, coalesce(r.n, 0) AS role_rows, coalesce(c.n, 0) AS session_rows,
         ntile(10) OVER (ORDER BY coalesce(a.n, 0), md5(p.id::text)) AS decile
  FROM profiles p
  LEFT JOIN a ON a.user_id = p.id LEFT JOIN r ON r.user_id = p.id LEFT JOIN c ON c.user_id = p.id
), ranked AS (
  SELECT f.*, row_number() OVER (PARTITION BY decile ORDER BY md5(id::text || %(seed)s)) AS rn,
         row_number() OVER (ORDER BY audit_rows DESC, id) AS heaviest,
         row_number() OVER (PARTITION BY audit_rows = 0 ORDER BY md5(id::text || %(seed)s)) AS rn_no_audit,
         row_number() OVER (PARTITION BY role_rows = 0 ORDER BY md5(id::text || %(seed)s)) AS rn_no_roles,
         row_number() OVER (PARTITION BY session_rows = 0 ORDER BY md5(id::text || %(seed)s)) AS rn_no_sessions
  FROM f
)
SELECT id, audit_rows, role_rows, session_rows, decile,
       CASE WHEN heaviest <= 2 THEN 'heaviest' WHEN audit_rows = 0 AND rn_no_audit <= 2 THEN 'no_audit'
            WHEN role_rows = 0 AND rn_no_roles <= 2 THEN 'no_roles'
            WHEN session_rows = 0 AND rn_no_sessions <= 2 THEN 'no_sessions' ELSE 'decile' END AS kind
FROM ranked
WHERE rn <= %(per_decile)s OR heaviest <= 2
   OR (audit_rows = 0 AND rn_no_audit <= 2) OR (role_rows = 0 AND rn_no_roles <= 2)
   OR (session_rows = 0 AND rn_no_sessions <= 2)
ORDER BY decile, audit_rows, id
