-- The memo's "traditional" JOIN, made to return the same data as its three single-table
-- queries: every column, LEFT JOINs (users without roles or audit rows still come back).
-- Rows multiply (roles x audit entries); the client folds them back into the bundle.
SELECT p.id AS p_id, p.email AS p_email, p.full_name AS p_full_name, p.avatar_url AS p_avatar_url,
       p.created_at AS p_created_at, p.updated_at AS p_updated_at,
       ur.id AS ur_id, ur.user_id AS ur_user_id, ur.role AS ur_role, ur.granted_at AS ur_granted_at,
       aal.id AS aal_id, aal.user_id AS aal_user_id, aal.action AS aal_action, aal.ip_address AS aal_ip_address,
       aal.user_agent AS aal_user_agent, aal.metadata AS aal_metadata, aal.created_at AS aal_created_at
FROM profiles p
LEFT JOIN user_roles ur ON ur.user_id = p.id
LEFT JOIN auth_audit_log aal ON aal.user_id = p.id
WHERE p.id = $1
