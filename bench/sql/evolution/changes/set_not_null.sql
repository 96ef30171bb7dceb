-- NOT NULL on the new column: every row is checked under the table's strongest lock.
ALTER TABLE public.auth_audit_log ALTER COLUMN source SET NOT NULL
