-- One scan checks every loaded row (SHARE UPDATE EXCLUSIVE: reads and writes go on meanwhile).
ALTER TABLE public.bulk_audit VALIDATE CONSTRAINT bulk_audit_user_id_fkey
