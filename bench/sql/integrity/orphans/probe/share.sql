INSERT INTO public.session_shares (session_id, shared_with_email) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe@bench.invalid')
