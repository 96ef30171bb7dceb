-- Admins whose last audit entry is older than 90 days before $1 (the data's latest timestamp),
-- or who have none. Two spokes: user_roles, auth_audit_log.
SELECT ur.user_id
FROM user_roles ur
LEFT JOIN LATERAL (SELECT max(a.created_at) AS last_at FROM auth_audit_log a WHERE a.user_id = ur.user_id) l ON true
WHERE ur.role = 'admin'
  AND (l.last_at IS NULL OR l.last_at <= $1::timestamptz - interval '90 days')
