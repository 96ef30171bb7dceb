-- Users who started a chat session in the week before $1 (the data's latest timestamp: the data
-- sit on a fixed epoch) and hold no role beyond the base 'user' (no admin, editor, moderator,
-- support or billing role). Two spokes: chat_sessions, user_roles.
SELECT DISTINCT cs.user_id
FROM chat_sessions cs
WHERE cs.created_at > $1::timestamptz - interval '7 days'
  AND cs.user_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM user_roles ur WHERE ur.user_id = cs.user_id AND ur.role <> 'user')
