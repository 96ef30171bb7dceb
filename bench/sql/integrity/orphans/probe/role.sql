INSERT INTO public.user_roles (user_id, role) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe')
