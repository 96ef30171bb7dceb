-- Rows a signup left in the five tables it writes.
SELECT (SELECT count(*) FROM auth.users WHERE id = %(id)s)
     + (SELECT count(*) FROM public.profiles WHERE id = %(id)s)
     + (SELECT count(*) FROM public.user_state WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.user_roles WHERE user_id = %(id)s)
     + (SELECT count(*) FROM public.auth_audit_log WHERE user_id = %(id)s)
