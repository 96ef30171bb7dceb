-- A foreign key on the loaded spoke, checked row by row as it is added.
ALTER TABLE public.auth_audit_log ADD CONSTRAINT auth_audit_log_user_fk FOREIGN KEY (user_id) REFERENCES auth.users(id)
