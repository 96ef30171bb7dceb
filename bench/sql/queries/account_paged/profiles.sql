-- the memo's getUserData, literally: supabase.from('profiles').select('*').eq('id', userId)
SELECT * FROM profiles WHERE id = $1
