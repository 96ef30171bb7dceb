INSERT INTO public.message_cache (session_id, role, content) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'user', 'probe')
