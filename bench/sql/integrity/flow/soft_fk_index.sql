-- ... and index it, so each deleted session finds its pointers without scanning user_state.
CREATE INDEX user_state_current_session_id_idx ON public.user_state (current_session_id)
