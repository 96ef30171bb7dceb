-- Rows a user owns across the tables a delete cascades into.
SELECT (SELECT count(*) FROM public.profiles WHERE id = %(id)s)
     + (SELECT count(*) FROM public.user_state WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.user_roles WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.auth_audit_log WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.chat_sessions WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.bulk_audit WHERE user_id = %(id)s)
