INSERT INTO public.session_analytics (session_id) VALUES ('00000000-0000-4000-8000-0000000b0b0e')
