-- Three chat sessions per user; user_state.current_session_id points at the latest one.
INSERT INTO public.chat_sessions (user_id, adk_session_id, created_at)
SELECT u.id, gen_random_uuid()::text, now() - make_interval(mins => g) FROM auth.users u, generate_series(1, 3) g;
UPDATE public.user_state s SET current_session_id = c.id
FROM (SELECT DISTINCT ON (user_id) user_id, id FROM public.chat_sessions ORDER BY user_id, created_at DESC, id) c
WHERE c.user_id = s.user_id;
ANALYZE public.chat_sessions, public.user_state;
