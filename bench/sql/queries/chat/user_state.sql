-- the memo's "chat universe": SELECT * FROM user_state WHERE user_id = 'user123'
SELECT * FROM user_state WHERE user_id = $1
