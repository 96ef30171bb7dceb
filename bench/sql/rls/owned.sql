-- The primary keys a user owns in each spoke, as the superuser sees them (the isolation oracle)
SELECT 'profiles' AS spoke, id::text AS pk FROM public.profiles WHERE id = $1
UNION ALL SELECT 'user_roles', id::text FROM public.user_roles WHERE user_id = $1
UNION ALL SELECT 'auth_audit_log', id::text FROM public.auth_audit_log WHERE user_id = $1
UNION ALL SELECT 'user_state', user_id::text FROM public.user_state WHERE user_id = $1
UNION ALL SELECT 'chat_sessions', id::text FROM public.chat_sessions WHERE user_id = $1
UNION ALL SELECT 'message_cache', m.id::text FROM public.message_cache m
  JOIN public.chat_sessions s ON s.id = m.session_id WHERE s.user_id = $1
UNION ALL SELECT 'session_shares', x.id::text FROM public.session_shares x
  JOIN public.chat_sessions s ON s.id = x.session_id WHERE s.user_id = $1
UNION ALL SELECT 'session_analytics', a.session_id::text FROM public.session_analytics a
  JOIN public.chat_sessions s ON s.id = a.session_id WHERE s.user_id = $1
