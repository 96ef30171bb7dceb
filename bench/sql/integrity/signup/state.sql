-- What handle_new_user adds besides the profile: the user's state row.
INSERT INTO public.user_state (user_id, ui_preferences, chat_preferences)
VALUES (%(id)s, '{"theme": "light", "sidebar_collapsed": false}'::jsonb,
        '{"auto_scroll": true, "show_timestamps": true}'::jsonb)
