-- A new column with a constant default on the loaded spoke (no rewrite since PostgreSQL 11).
ALTER TABLE public.auth_audit_log ADD COLUMN source text DEFAULT 'web'
