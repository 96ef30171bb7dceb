-- A page of users ($1 rows after the cursor id $2, keyset pagination on the primary key) with
-- their 'account' bundle, in one statement, in PostgREST's embedding shape (the join_json
-- bundle query for a page).
SELECT row_to_json(p) AS profiles,
       coalesce(ur.rows, '[]') AS user_roles,
       coalesce(aal.rows, '[]') AS auth_audit_log
FROM (SELECT * FROM profiles WHERE id > $2::uuid ORDER BY id LIMIT $1) p
LEFT JOIN LATERAL (SELECT json_agg(r) AS rows FROM user_roles r WHERE r.user_id = p.id) ur ON true
LEFT JOIN LATERAL (SELECT json_agg(a) AS rows FROM auth_audit_log a WHERE a.user_id = p.id) aal ON true
