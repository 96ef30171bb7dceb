UPDATE public.user_state SET current_session_id = '00000000-0000-4000-8000-0000000b0b0e' WHERE user_id = '00000000-0000-4000-8000-0000000b0b0e'
