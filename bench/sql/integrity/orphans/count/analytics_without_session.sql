-- public.session_analytics rows whose chat session does not exist
SELECT count(*) FROM public.session_analytics x WHERE NOT EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = x.session_id)
