-- Added after the load without checking the existing rows (new rows are checked from now on).
ALTER TABLE public.bulk_audit ADD CONSTRAINT bulk_audit_user_id_fkey
  FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID
