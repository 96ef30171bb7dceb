-- audit service: who has an audit entry in the 90 days before $1
SELECT DISTINCT user_id FROM auth_audit_log WHERE created_at > $1::timestamptz - interval '90 days'
