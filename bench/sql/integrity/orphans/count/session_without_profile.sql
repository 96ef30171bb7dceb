-- public.chat_sessions rows whose user exists but has no profile (injected class: profile_missing)
SELECT count(*) FROM public.chat_sessions x
WHERE EXISTS (SELECT 1 FROM auth.users u WHERE u.id = x.user_id)
  AND NOT EXISTS (SELECT 1 FROM public.profiles p WHERE p.id = x.user_id)
