INSERT INTO public.profiles (id, email) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe@bench.invalid') ON CONFLICT (id) DO NOTHING
