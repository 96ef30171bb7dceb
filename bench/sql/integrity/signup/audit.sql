-- createAdminUser, request 3: supabase.from('auth_audit_log').insert({user_id, action: 'created'})
INSERT INTO public.auth_audit_log (user_id, action) VALUES (%(id)s, 'created')
