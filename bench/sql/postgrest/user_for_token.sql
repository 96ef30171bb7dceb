-- What Supabase Auth's token service reads from the user to build an access token's claims
SELECT id, aud, role, email, phone, raw_app_meta_data, raw_user_meta_data, is_anonymous
FROM auth.users WHERE id = $1
