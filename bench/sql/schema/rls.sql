-- The memo's policies, verbatim ("Same pattern for new tables!"), plus the chat domain through
-- its session's owner. No TO clause, as in the memo: they apply to anon too (auth.uid() is null).
ALTER TABLE public.profiles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.auth_audit_log ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.user_state ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.chat_sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.message_cache ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_shares ENABLE ROW LEVEL SECURITY;
ALTER TABLE public.session_analytics ENABLE ROW LEVEL SECURITY;

DROP POLICY IF EXISTS "users_own_profiles" ON public.profiles;
CREATE POLICY "users_own_profiles" ON public.profiles FOR ALL USING (auth.uid() = id);
DROP POLICY IF EXISTS "users_own_audit" ON public.auth_audit_log;
CREATE POLICY "users_own_audit" ON public.auth_audit_log FOR ALL USING (auth.uid() = user_id);
DROP POLICY IF EXISTS "users_own_roles" ON public.user_roles;
CREATE POLICY "users_own_roles" ON public.user_roles FOR ALL USING (auth.uid() = user_id);
DROP POLICY IF EXISTS "users_own_chats" ON public.chat_sessions;
CREATE POLICY "users_own_chats" ON public.chat_sessions FOR ALL USING (auth.uid() = user_id);
DROP POLICY IF EXISTS "users_own_state" ON public.user_state;
CREATE POLICY "users_own_state" ON public.user_state FOR ALL USING (auth.uid() = user_id);

DROP POLICY IF EXISTS "users_own_messages" ON public.message_cache;
CREATE POLICY "users_own_messages" ON public.message_cache FOR ALL
  USING (EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = auth.uid()));
DROP POLICY IF EXISTS "users_own_shares" ON public.session_shares;
CREATE POLICY "users_own_shares" ON public.session_shares FOR ALL
  USING (EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = auth.uid()));
DROP POLICY IF EXISTS "users_own_analytics" ON public.session_analytics;
CREATE POLICY "users_own_analytics" ON public.session_analytics FOR ALL
  USING (EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = session_id AND s.user_id = auth.uid()));
