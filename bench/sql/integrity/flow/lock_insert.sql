INSERT INTO public.auth_audit_log (user_id, action) VALUES (%(id)s, 'login')
