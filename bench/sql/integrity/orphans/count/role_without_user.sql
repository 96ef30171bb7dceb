-- public.user_roles rows whose user does not exist (injected class: user_missing)
SELECT count(*) FROM public.user_roles x
WHERE x.user_id IS NOT NULL AND NOT EXISTS (SELECT 1 FROM auth.users u WHERE u.id = x.user_id)
