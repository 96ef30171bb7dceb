-- The safe policy set, measured beside the memo's: for each spoke a FOR SELECT policy and one
-- policy per write command (WITH CHECK on INSERT and UPDATE, so a row cannot be written for
-- or moved to another user), all TO authenticated (anon gets no policy) and with the
-- `(select auth.uid())` form; user_roles readable by its owner and writable by no user (roles
-- are granted by service_role); table grants without TRUNCATE, TRIGGER and REFERENCES for the
-- API roles; handle_new_user with a pinned search_path. Undone by rls/safe_undo.sql + the memo's files.
DO $$
DECLARE
  t record;
BEGIN
  FOR t IN SELECT * FROM (VALUES
      ('profiles', 'users_own_profiles', '(select auth.uid()) = id'),
      ('user_roles', 'users_own_roles', '(select auth.uid()) = user_id'),
      ('auth_audit_log', 'users_own_audit', '(select auth.uid()) = user_id'),
      ('user_state', 'users_own_state', '(select auth.uid()) = user_id'),
      ('chat_sessions', 'users_own_chats', '(select auth.uid()) = user_id'),
      ('message_cache', 'users_own_messages',
       'EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = (select auth.uid()))'),
      ('session_shares', 'users_own_shares',
       'EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = (select auth.uid()))'),
      ('session_analytics', 'users_own_analytics',
       'EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = (select auth.uid()))')
    ) AS v(tbl, policy, owner)
  LOOP
    EXECUTE format('ALTER TABLE public.%I ENABLE ROW LEVEL SECURITY', t.tbl);
    EXECUTE format('DROP POLICY IF EXISTS %I ON public.%I', t.policy, t.tbl);
    EXECUTE format('CREATE POLICY %I ON public.%I FOR SELECT TO authenticated USING (%s)', t.policy, t.tbl, t.owner);
    IF t.tbl <> 'user_roles' THEN
      EXECUTE format('CREATE POLICY %I ON public.%I FOR INSERT TO authenticated WITH CHECK (%s)',
                     'safe_insert_' || t.tbl, t.tbl, t.owner);
      EXECUTE format('CREATE POLICY %I ON public.%I FOR UPDATE TO authenticated USING (%s) WITH CHECK (%s)',
                     'safe_update_' || t.tbl, t.tbl, t.owner, t.owner);
      EXECUTE format('CREATE POLICY %I ON public.%I FOR DELETE TO authenticated USING (%s)',
                     'safe_delete_' || t.tbl, t.tbl, t.owner);
    END IF;
  END LOOP;
END
$$;

REVOKE TRUNCATE, TRIGGER, REFERENCES ON ALL TABLES IN SCHEMA public FROM anon, authenticated;

ALTER FUNCTION public.handle_new_user() SET search_path = '';
