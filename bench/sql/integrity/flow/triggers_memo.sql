-- Only the memo's handle_new_user (profile + user_state) fires on signup.
ALTER TABLE auth.users ENABLE TRIGGER on_auth_user_created;
ALTER TABLE auth.users DISABLE TRIGGER on_auth_user_created_admin;
