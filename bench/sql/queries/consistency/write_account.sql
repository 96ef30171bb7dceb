-- One transaction (one statement): grant the user a role and write the matching audit entry,
-- replacing the previous bench grant. Invariant: bench roles = roles named by bench_grant rows.
WITH old_role AS (DELETE FROM user_roles WHERE user_id = $1 AND role LIKE 'bench:%'),
     old_audit AS (DELETE FROM auth_audit_log WHERE user_id = $1 AND action = 'bench_grant'),
     new_role AS (INSERT INTO user_roles (user_id, role) VALUES ($1, $2::text))
INSERT INTO auth_audit_log (user_id, action, metadata)
VALUES ($1, 'bench_grant', jsonb_build_object('role', $2::text))
