-- Checked per row: the foreign key exists before the load.
ALTER TABLE public.bulk_audit ADD CONSTRAINT bulk_audit_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE
