-- Undo the writer on one user: its session pointer as it was, no bench sessions.
WITH s AS (UPDATE user_state SET current_session_id = %(current_session_id)s::uuid WHERE user_id = %(id)s)
DELETE FROM chat_sessions WHERE user_id = %(id)s AND adk_session_id LIKE 'bench:%%'
