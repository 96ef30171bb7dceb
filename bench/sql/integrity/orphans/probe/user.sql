-- a probe signup (the trigger, where present, adds its profile and user_state)
INSERT INTO auth.users (id, email, created_at, updated_at) VALUES ('00000000-0000-4000-8000-0000000b0b0e', 'probe@bench.invalid', now(), now())
