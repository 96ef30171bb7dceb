-- The users the consistency writer changes: a few with a profile and a user_state row,
-- deterministic for a given seed. Their original state is saved and restored afterwards.
SELECT p.id::text AS id, s.current_session_id::text AS current_session_id
FROM profiles p JOIN user_state s ON s.user_id = p.id
ORDER BY md5(p.id::text || %(seed)s)
LIMIT %(n)s
