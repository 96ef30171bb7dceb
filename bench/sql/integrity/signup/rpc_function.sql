-- The RPC approach: one function call writes the whole signup (supabase.rpc('create_admin_user')).
-- A function call is one statement, so it commits or rolls back as a whole.
CREATE OR REPLACE FUNCTION public.create_admin_user(p_id uuid, p_email text, p_full_name text)
RETURNS void LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO auth.users (id, aud, role, email, raw_user_meta_data, raw_app_meta_data, created_at, updated_at)
  VALUES (p_id, 'authenticated', 'authenticated', p_email, jsonb_build_object('full_name', p_full_name),
          '{"provider": "email", "role": "admin"}'::jsonb, now(), now());
  INSERT INTO public.profiles (id, email, full_name) VALUES (p_id, p_email, p_full_name);
  INSERT INTO public.user_state (user_id, ui_preferences, chat_preferences)
  VALUES (p_id, '{"theme": "light", "sidebar_collapsed": false}'::jsonb,
          '{"auto_scroll": true, "show_timestamps": true}'::jsonb);
  INSERT INTO public.user_roles (user_id, role) VALUES (p_id, 'admin');
  INSERT INTO public.auth_audit_log (user_id, action) VALUES (p_id, 'created');
END
$$;
