-- The "indexed" option: what the memo's DDL lacks. Foreign keys do not index the referencing
-- column; ON DELETE CASCADE, RLS filters and per-user reads need it.
CREATE INDEX IF NOT EXISTS user_roles_user_id_idx ON public.user_roles (user_id);
CREATE INDEX IF NOT EXISTS auth_audit_log_user_id_created_at_idx ON public.auth_audit_log (user_id, created_at);
CREATE INDEX IF NOT EXISTS chat_sessions_user_id_created_at_idx ON public.chat_sessions (user_id, created_at);
CREATE INDEX IF NOT EXISTS message_cache_session_id_idx ON public.message_cache (session_id, created_at);
CREATE INDEX IF NOT EXISTS session_shares_session_id_idx ON public.session_shares (session_id);
