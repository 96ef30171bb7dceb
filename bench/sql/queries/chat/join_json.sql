-- The chat universe in PostgREST's embedding shape.
SELECT row_to_json(p) AS profiles,
       coalesce(us.rows, '[]') AS user_state,
       coalesce(cs.rows, '[]') AS chat_sessions
FROM profiles p
LEFT JOIN LATERAL (SELECT json_agg(s) AS rows FROM user_state s WHERE s.user_id = p.id) us ON true
LEFT JOIN LATERAL (SELECT json_agg(c) AS rows FROM chat_sessions c WHERE c.user_id = p.id) cs ON true
WHERE p.id = $1
