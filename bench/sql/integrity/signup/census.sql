-- What the signups left behind: every id found in any of the five tables, classified by which of
-- its rows exist. A signup is consistent when it left all five rows or none.
WITH ids AS (
  SELECT id FROM auth.users UNION SELECT id FROM public.profiles UNION SELECT user_id FROM public.user_state
  UNION SELECT user_id FROM public.user_roles UNION SELECT user_id FROM public.auth_audit_log
), f AS (
  SELECT i.id,
         EXISTS (SELECT 1 FROM auth.users x WHERE x.id = i.id) AS has_user,
         EXISTS (SELECT 1 FROM public.profiles x WHERE x.id = i.id) AS has_profile,
         EXISTS (SELECT 1 FROM public.user_state x WHERE x.user_id = i.id) AS has_state,
         EXISTS (SELECT 1 FROM public.user_roles x WHERE x.user_id = i.id) AS has_role,
         EXISTS (SELECT 1 FROM public.auth_audit_log x WHERE x.user_id = i.id) AS has_audit
  FROM ids i
)
SELECT c.class, count(*) FILTER (WHERE c.hit) AS users
FROM f CROSS JOIN LATERAL (VALUES
  ('complete', has_user AND has_profile AND has_state AND has_role AND has_audit),
  ('inconsistent', NOT (has_user AND has_profile AND has_state AND has_role AND has_audit)),
  ('user_without_profile', has_user AND NOT has_profile),
  ('profile_without_state', has_profile AND NOT has_state),
  ('user_without_role', has_user AND NOT has_role),
  ('role_without_profile', has_role AND NOT has_profile),
  ('user_without_audit', has_user AND NOT has_audit),
  ('audit_for_missing_user', has_audit AND NOT has_user)
) AS c(class, hit)
GROUP BY c.class
