INSERT INTO public.chat_sessions (user_id, adk_session_id) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe')
