-- User B's chat sessions, read with the owner's rights (the targets of the session-owned spokes)
SELECT coalesce(array_agg(id), '{}') FROM public.chat_sessions WHERE user_id = %(b)s
