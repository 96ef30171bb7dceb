ALTER TABLE public.auth_audit_log DROP CONSTRAINT IF EXISTS auth_audit_log_user_fk
