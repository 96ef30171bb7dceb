-- createAdminUser, request 2: supabase.from('user_roles').insert({user_id, role: 'admin'})
INSERT INTO public.user_roles (user_id, role) VALUES (%(id)s, 'admin')
