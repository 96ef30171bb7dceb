-- createAdminUser, request 1: supabase.from('profiles').insert({id, ...userData})
INSERT INTO public.profiles (id, email, full_name) VALUES (%(id)s, %(email)s, %(full_name)s)
