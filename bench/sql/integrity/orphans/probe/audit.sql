INSERT INTO public.auth_audit_log (user_id, action) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe')
