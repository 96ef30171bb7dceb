-- The memo's "traditional relational" alternative: user -> profile -> spokes, enforced by the
-- database (user_roles.user_id -> profiles.id -> auth.users.id). Same columns as the star.
SELECT bench_meta.add_constraint('public.profiles', 'profiles_id_fkey',
  'FOREIGN KEY (id) REFERENCES auth.users(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.user_roles', 'user_roles_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES public.profiles(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.auth_audit_log', 'auth_audit_log_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES public.profiles(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.user_state', 'user_state_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES public.profiles(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.chat_sessions', 'chat_sessions_user_id_fkey',
  'FOREIGN KEY (user_id) REFERENCES public.profiles(id) ON DELETE CASCADE NOT VALID');
