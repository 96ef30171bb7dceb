-- the memo's getUserData, literally: supabase.from('user_roles').select('*').eq('user_id', userId)
SELECT * FROM user_roles WHERE user_id = $1
