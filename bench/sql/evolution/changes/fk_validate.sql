-- ... then VALIDATE, which checks the old rows under a weaker lock.
ALTER TABLE public.auth_audit_log VALIDATE CONSTRAINT auth_audit_log_user_fk
