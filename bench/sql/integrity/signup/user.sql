-- The signup itself (what the auth server writes): one auth.users row.
INSERT INTO auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
VALUES (%(id)s, 'authenticated', 'authenticated', %(email)s, jsonb_build_object('full_name', %(full_name)s::text),
        '{"provider": "email", "role": "admin"}'::jsonb, now(), now())
