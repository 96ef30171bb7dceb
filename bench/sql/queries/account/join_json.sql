-- One statement in PostgREST's embedding shape: a LEFT JOIN LATERAL (... json_agg ...) per spoke.
SELECT row_to_json(p) AS profiles,
       coalesce(ur.rows, '[]') AS user_roles,
       coalesce(aal.rows, '[]') AS auth_audit_log
FROM profiles p
LEFT JOIN LATERAL (SELECT json_agg(r) AS rows FROM user_roles r WHERE r.user_id = p.id) ur ON true
LEFT JOIN LATERAL (SELECT json_agg(a) AS rows FROM auth_audit_log a WHERE a.user_id = p.id) aal ON true
WHERE p.id = $1
