-- What the caller reads of auth_audit_log after the promotion attempt: all its rows, and those of other users
SELECT count(*), count(*) FILTER (WHERE user_id <> %(a)s) FROM public.auth_audit_log
