-- Two users who own rows in as many spokes as possible (the isolation checks' A and B), among
-- the first 2,000 users by id: deterministic for a seeded dataset, cheap at every scale.
WITH candidates AS (SELECT id FROM auth.users ORDER BY id LIMIT 2000)
SELECT c.id,
       (EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.user_roles r WHERE r.user_id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.auth_audit_log a WHERE a.user_id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.user_state s WHERE s.user_id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.chat_sessions s JOIN public.message_cache m ON m.session_id = s.id
                WHERE s.user_id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.chat_sessions s JOIN public.session_shares x ON x.session_id = s.id
                WHERE s.user_id = c.id))::int
     + (EXISTS (SELECT 1 FROM public.chat_sessions s JOIN public.session_analytics a ON a.session_id = s.id
                WHERE s.user_id = c.id))::int AS spokes
FROM candidates c
ORDER BY spokes DESC, c.id
LIMIT 2
