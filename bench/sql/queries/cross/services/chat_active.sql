-- chat service: who started a session in the week before $1
SELECT DISTINCT user_id FROM chat_sessions
WHERE created_at > $1::timestamptz - interval '7 days' AND user_id IS NOT NULL
