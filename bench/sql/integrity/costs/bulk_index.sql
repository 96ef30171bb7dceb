CREATE INDEX IF NOT EXISTS bulk_audit_user_id_idx ON public.bulk_audit (user_id);
