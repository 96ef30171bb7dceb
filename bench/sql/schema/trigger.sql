-- The memo's handle_new_user, verbatim: a signup creates the profile and the user_state.
CREATE OR REPLACE FUNCTION public.handle_new_user()
RETURNS TRIGGER AS $$
BEGIN
  -- Create profile (existing)
  INSERT INTO public.profiles (id, email, full_name)
  VALUES (NEW.id, NEW.email, NEW.raw_user_meta_data->>'full_name');

  -- Create user state (NEW)
  INSERT INTO public.user_state (user_id, ui_preferences, chat_preferences)
  VALUES (NEW.id,
    '{"theme": "light", "sidebar_collapsed": false}'::jsonb,
    '{"auto_scroll": true, "show_timestamps": true}'::jsonb
  );

  RETURN NEW;
END;
$$ LANGUAGE plpgsql SECURITY DEFINER;

CREATE OR REPLACE TRIGGER on_auth_user_created
  AFTER INSERT ON auth.users
  FOR EACH ROW EXECUTE FUNCTION public.handle_new_user();
