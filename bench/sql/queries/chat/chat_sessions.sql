-- the memo's "chat universe": SELECT * FROM chat_sessions WHERE user_id = 'user123'
SELECT * FROM chat_sessions WHERE user_id = $1
