-- audit service: the last entry of each of the given users ($1: uuid[]); users without entries are absent
SELECT user_id, max(created_at) AS last_at FROM auth_audit_log WHERE user_id = ANY($1::uuid[]) GROUP BY user_id
