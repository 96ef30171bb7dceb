-- One row per spoke that belongs to user B, inserted by the caller (supabase-js
-- `.from(t).insert({...})`, PostgREST's POST). %(b)s is B's id, %(b_session)s one of B's chat
-- sessions. Each section starts with `-- spoke: <table>`. A row the policy admits may still be
-- stopped by a key (B already has a profile): the outcome says which stopped it.
-- spoke: profiles
INSERT INTO public.profiles (id, email, full_name) VALUES (%(b)s, 'intruder@example.invalid', 'intruder')
-- spoke: user_roles
INSERT INTO public.user_roles (user_id, role) VALUES (%(b)s, 'member')
-- spoke: auth_audit_log
INSERT INTO public.auth_audit_log (user_id, action) VALUES (%(b)s, 'forged')
-- spoke: user_state
INSERT INTO public.user_state (user_id) VALUES (%(b)s)
-- spoke: chat_sessions
INSERT INTO public.chat_sessions (user_id, adk_session_id) VALUES (%(b)s, 'bench-forged-' || gen_random_uuid())
-- spoke: message_cache
INSERT INTO public.message_cache (session_id, role, content) VALUES (%(b_session)s, 'user', 'forged')
-- spoke: session_shares
INSERT INTO public.session_shares (session_id, shared_with_email) VALUES (%(b_session)s, 'intruder@example.invalid')
-- spoke: session_analytics
INSERT INTO public.session_analytics (session_id) VALUES (%(b_session)s)
