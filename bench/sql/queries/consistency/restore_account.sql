-- Undo the writer on one user: no bench grant, no bench audit entry.
WITH r AS (DELETE FROM user_roles WHERE user_id = %(id)s AND role LIKE 'bench:%%')
DELETE FROM auth_audit_log WHERE user_id = %(id)s AND action = 'bench_grant'
