-- Self-promotion: the caller grants itself the admin role (supabase-js
-- `.from('user_roles').insert({ user_id: <own id>, role: 'admin' })`)
INSERT INTO public.user_roles (user_id, role) VALUES (%(a)s, 'admin')
