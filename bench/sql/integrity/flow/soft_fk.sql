-- What prevents dangling pointers: make the soft reference a foreign key.
ALTER TABLE public.user_state ADD CONSTRAINT user_state_current_session_id_fkey
  FOREIGN KEY (current_session_id) REFERENCES public.chat_sessions(id) ON DELETE SET NULL
