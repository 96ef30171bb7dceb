-- One user's whole "universe" in one statement: auth.users and every spoke, with the chat domain
-- under each session. It touches 9 tables and, planned, their ~20 indexes: more relation locks
-- than the 16 fast-path slots a backend had up to PostgreSQL 17.
SELECT u.id, u.email, row_to_json(p) AS profile,
       (SELECT json_agg(r) FROM user_roles r WHERE r.user_id = u.id) AS user_roles,
       (SELECT json_agg(a) FROM auth_audit_log a WHERE a.user_id = u.id) AS auth_audit_log,
       (SELECT row_to_json(s) FROM user_state s WHERE s.user_id = u.id) AS user_state,
       (SELECT json_agg(json_build_object(
                 'session', c,
                 'messages', (SELECT count(*) FROM message_cache m WHERE m.session_id = c.id),
                 'shares', (SELECT count(*) FROM session_shares sh WHERE sh.session_id = c.id),
                 'analytics', (SELECT row_to_json(sa) FROM session_analytics sa WHERE sa.session_id = c.id)))
        FROM chat_sessions c WHERE c.user_id = u.id) AS chat_sessions
FROM auth.users u
LEFT JOIN profiles p ON p.id = u.id
WHERE u.id = $1
