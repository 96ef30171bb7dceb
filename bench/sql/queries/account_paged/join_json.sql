-- PostgREST's embedding shape with the audit log limited to the latest 50 entries.
SELECT row_to_json(p) AS profiles,
       coalesce(ur.rows, '[]') AS user_roles,
       coalesce(aal.rows, '[]') AS auth_audit_log
FROM profiles p
LEFT JOIN LATERAL (SELECT json_agg(r) AS rows FROM user_roles r WHERE r.user_id = p.id) ur ON true
LEFT JOIN LATERAL (SELECT json_agg(a) AS rows FROM (SELECT * FROM auth_audit_log x WHERE x.user_id = p.id
                   ORDER BY x.created_at DESC, x.id DESC LIMIT 50) a) aal ON true
WHERE p.id = $1
