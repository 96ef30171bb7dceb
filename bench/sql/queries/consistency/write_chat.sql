-- One transaction (one statement): create a chat session and point user_state at it,
-- replacing the previous bench session. Invariant: current_session_id is one of the sessions.
WITH old AS (DELETE FROM chat_sessions WHERE user_id = $1 AND adk_session_id LIKE 'bench:%'),
     new AS (INSERT INTO chat_sessions (user_id, adk_session_id, session_title)
             VALUES ($1, $2::text, 'bench') RETURNING id)
UPDATE user_state SET current_session_id = (SELECT id FROM new) WHERE user_id = $1
