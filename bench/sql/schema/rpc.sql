-- What a Supabase user on the star writes when PostgREST cannot embed the spokes (PGRST200): one
-- SQL function per bundle returning the bundle as JSON, called as GET /rpc/<fn>?uid=...
-- SECURITY INVOKER (the default, said here) so the caller's RLS policies apply inside; STABLE so a
-- GET may call it in PostgREST's read-only transaction. No row cap inside: db-max-rows limits the
-- function's result (one scalar), not the rows it reads. Idempotent (CREATE OR REPLACE).
CREATE OR REPLACE FUNCTION public.get_account_bundle(uid uuid) RETURNS json
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT json_build_object(
    'profiles', coalesce((SELECT json_agg(p) FROM public.profiles p WHERE p.id = uid), '[]'),
    'user_roles', coalesce((SELECT json_agg(r) FROM public.user_roles r WHERE r.user_id = uid), '[]'),
    'auth_audit_log', coalesce((SELECT json_agg(a) FROM public.auth_audit_log a WHERE a.user_id = uid), '[]'))
$$;

CREATE OR REPLACE FUNCTION public.get_account_paged_bundle(uid uuid) RETURNS json
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT json_build_object(
    'profiles', coalesce((SELECT json_agg(p) FROM public.profiles p WHERE p.id = uid), '[]'),
    'user_roles', coalesce((SELECT json_agg(r) FROM public.user_roles r WHERE r.user_id = uid), '[]'),
    'auth_audit_log', coalesce((SELECT json_agg(a) FROM (SELECT * FROM public.auth_audit_log x WHERE x.user_id = uid
                                 ORDER BY x.created_at DESC, x.id DESC LIMIT 50) a), '[]'))
$$;

CREATE OR REPLACE FUNCTION public.get_chat_bundle(uid uuid) RETURNS json
LANGUAGE sql STABLE SECURITY INVOKER AS $$
  SELECT json_build_object(
    'chat_sessions', coalesce((SELECT json_agg(c) FROM public.chat_sessions c WHERE c.user_id = uid), '[]'),
    'user_state', coalesce((SELECT json_agg(s) FROM public.user_state s WHERE s.user_id = uid), '[]'),
    'profiles', coalesce((SELECT json_agg(p) FROM public.profiles p WHERE p.id = uid), '[]'))
$$;

GRANT EXECUTE ON FUNCTION public.get_account_bundle(uuid), public.get_account_paged_bundle(uuid),
  public.get_chat_bundle(uuid) TO anon, authenticated, service_role;
