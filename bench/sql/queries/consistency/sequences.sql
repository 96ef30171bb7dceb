-- The identity sequences the writer advances, to restore them afterwards.
SELECT quote_ident(schemaname) || '.' || quote_ident(sequencename) AS seq, last_value, start_value
FROM pg_sequences
WHERE schemaname = 'public' AND sequencename IN ('user_roles_id_seq', 'auth_audit_log_id_seq')
