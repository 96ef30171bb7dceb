-- The spokes again, same columns, keys and defaults but no foreign key (the baseline for the
-- per-row cost of the FK check, which takes FOR KEY SHARE on the auth.users row).
CREATE SCHEMA IF NOT EXISTS nofk;
CREATE TABLE IF NOT EXISTS nofk.user_roles (LIKE public.user_roles INCLUDING ALL);
CREATE TABLE IF NOT EXISTS nofk.auth_audit_log (LIKE public.auth_audit_log INCLUDING ALL);
CREATE TABLE IF NOT EXISTS nofk.chat_sessions (LIKE public.chat_sessions INCLUDING ALL);
