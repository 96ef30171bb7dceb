-- The user pool of the cost experiments (the triggers, where enabled, add their rows).
INSERT INTO auth.users (id, email, created_at, updated_at)
SELECT gen_random_uuid(), 'pool' || g || '@bench.invalid', now(), now() FROM generate_series(1, %(users)s) g
