-- Primary and unique keys, built after the bulk load.
SELECT bench_meta.add_constraint('public.profiles', 'profiles_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.user_roles', 'user_roles_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.auth_audit_log', 'auth_audit_log_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.chat_sessions', 'chat_sessions_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.chat_sessions', 'chat_sessions_adk_session_id_key', 'UNIQUE (adk_session_id)');
SELECT bench_meta.add_constraint('public.user_state', 'user_state_pkey', 'PRIMARY KEY (user_id)');
SELECT bench_meta.add_constraint('public.message_cache', 'message_cache_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.session_shares', 'session_shares_pkey', 'PRIMARY KEY (id)');
SELECT bench_meta.add_constraint('public.session_analytics', 'session_analytics_pkey', 'PRIMARY KEY (session_id)');
