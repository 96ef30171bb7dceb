-- The application writing to the loaded spoke: one audit entry for a user.
INSERT INTO public.auth_audit_log (user_id, action, ip_address, user_agent) VALUES (%(id)s, 'login', '10.0.0.1', 'bench')
