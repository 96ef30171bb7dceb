-- The trigger approach: the memo's handle_new_user (profile + user_state, unchanged) plus a second
-- AFTER INSERT trigger that writes the role named in raw_app_meta_data and the 'created' audit row.
-- Triggers fire in name order, so on_auth_user_created runs first; all of it is the signup's
-- single INSERT statement.
CREATE OR REPLACE FUNCTION public.handle_new_admin()
RETURNS TRIGGER LANGUAGE plpgsql SECURITY DEFINER SET search_path = '' AS $$
BEGIN
  INSERT INTO public.user_roles (user_id, role) VALUES (NEW.id, coalesce(NEW.raw_app_meta_data->>'role', 'user'));
  INSERT INTO public.auth_audit_log (user_id, action) VALUES (NEW.id, 'created');
  RETURN NEW;
END
$$;

CREATE OR REPLACE TRIGGER on_auth_user_created_admin
  AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_admin();
