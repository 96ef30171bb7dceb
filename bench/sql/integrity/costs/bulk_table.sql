-- A fresh audit table for one bulk load (keys and defaults of auth_audit_log, no foreign key).
DROP TABLE IF EXISTS public.bulk_audit;
CREATE TABLE public.bulk_audit (LIKE public.auth_audit_log INCLUDING ALL);
