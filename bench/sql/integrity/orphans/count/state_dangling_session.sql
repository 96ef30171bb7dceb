-- user_state.current_session_id pointing at no chat session (the memo's "soft reference")
SELECT count(*) FROM public.user_state x
WHERE x.current_session_id IS NOT NULL
  AND NOT EXISTS (SELECT 1 FROM public.chat_sessions s WHERE s.id = x.current_session_id)
