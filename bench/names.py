"""Names both sides use: what the measuring side records and the report labels. No imports."""

TIER_LOAD_CLIENT = "node-http"  # load through the PostgREST tier: supabase-js's requests replayed by node's http

SPOKES = ("profiles", "user_roles", "auth_audit_log", "user_state", "chat_sessions", "message_cache",
          "session_shares", "session_analytics")  # every table that references a user

CROSS_QUERIES = {  # business questions across spokes (bench/sql/queries/cross/<name>.sql): their titles
    "admin_incomplete": "admin users with incomplete profiles (the memo's)",
    "chat_active_no_staff": "chat users this week with no role beyond 'user'",
    "admins_quiet_audit": "admins with no audit entry in 90 days",
}
