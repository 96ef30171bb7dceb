-- Role checks for policies, in the forms Supabase's RLS guide discusses. Both read user_roles;
-- the plain one as the caller (so user_roles' own policy applies inside it and it can be
-- inlined), the SECURITY DEFINER one as its owner (RLS of user_roles bypassed, never inlined).
CREATE OR REPLACE FUNCTION public.is_admin() RETURNS boolean LANGUAGE sql STABLE AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = auth.uid() AND role = 'admin')
$$;
CREATE OR REPLACE FUNCTION public.is_admin_definer() RETURNS boolean LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = '' AS $$
  SELECT EXISTS (SELECT 1 FROM public.user_roles WHERE user_id = auth.uid() AND role = 'admin')
$$;
GRANT EXECUTE ON FUNCTION public.is_admin(), public.is_admin_definer() TO anon, authenticated, service_role;
