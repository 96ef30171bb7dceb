SELECT public.create_admin_user(%(id)s, %(email)s, %(full_name)s)
