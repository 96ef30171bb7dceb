-- The memo's "Find all admin users with incomplete profiles", verbatim: one statement across
-- two spokes (profiles, user_roles).
SELECT p.id, p.full_name, ur.role
FROM profiles p
JOIN user_roles ur ON p.id = ur.user_id
WHERE ur.role = 'admin'
  AND (p.full_name IS NULL OR p.avatar_url IS NULL)
