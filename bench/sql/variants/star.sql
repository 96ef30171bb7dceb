-- The memo's star: every spoke references only auth.users(id). Foreign keys are added NOT VALID
-- and validated afterwards (one scan instead of a check per loaded row).
SELECT bench_meta.add_constraint('public.profiles', 'profiles_id_fkey',
  'FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.user_roles', 'user_roles_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.auth_audit_log', 'auth_audit_log_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.user_state', 'user_state_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.chat_sessions', 'chat_sessions_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
