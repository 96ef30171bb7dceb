-- the memo's getUserData, literally: supabase.from('auth_audit_log').select('*').eq('user_id', userId)
SELECT * FROM auth_audit_log WHERE user_id = $1
