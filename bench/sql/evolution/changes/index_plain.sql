CREATE INDEX auth_audit_log_action_created_at_idx ON public.auth_audit_log (action, created_at)
