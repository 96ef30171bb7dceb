-- "Now" for the cross-spoke queries: the latest activity in the data (seeded on a fixed epoch,
-- so today's date would find nothing). Read once, untimed, and bound as a parameter everywhere.
SELECT greatest((SELECT max(created_at) FROM chat_sessions), (SELECT max(created_at) FROM auth_audit_log))::text
