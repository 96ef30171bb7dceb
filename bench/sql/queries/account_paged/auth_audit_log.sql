-- what a real screen does: the latest 50 audit entries
SELECT * FROM auth_audit_log WHERE user_id = $1 ORDER BY created_at DESC, id DESC LIMIT 50
