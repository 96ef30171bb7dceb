-- Per signup id: how many of its five rows exist (0 or 5: consistent).
SELECT i.id::text,
       (EXISTS (SELECT 1 FROM auth.users x WHERE x.id = i.id))::int
     + (EXISTS (SELECT 1 FROM public.profiles x WHERE x.id = i.id))::int
     + (EXISTS (SELECT 1 FROM public.user_state x WHERE x.user_id = i.id))::int
     + (EXISTS (SELECT 1 FROM public.user_roles x WHERE x.user_id = i.id))::int
     + (EXISTS (SELECT 1 FROM public.auth_audit_log x WHERE x.user_id = i.id))::int
FROM unnest(%(ids)s::uuid[]) AS i(id)
