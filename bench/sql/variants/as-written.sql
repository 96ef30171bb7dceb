-- The "as-written" option: the memo's DDL creates no index on the user_id columns.
DROP INDEX IF EXISTS public.user_roles_user_id_idx;
DROP INDEX IF EXISTS public.auth_audit_log_user_id_created_at_idx;
DROP INDEX IF EXISTS public.chat_sessions_user_id_created_at_idx;
DROP INDEX IF EXISTS public.message_cache_session_id_idx;
DROP INDEX IF EXISTS public.session_shares_session_id_idx;
