INSERT INTO public.auth_audit_log (user_id, action) SELECT %(id)s, 'login' FROM generate_series(1, %(rows)s);
INSERT INTO public.bulk_audit (user_id, action) SELECT %(id)s, 'login' FROM generate_series(1, %(rows)s);
INSERT INTO public.chat_sessions (user_id, adk_session_id) SELECT %(id)s, gen_random_uuid()::text FROM generate_series(1, 20);
