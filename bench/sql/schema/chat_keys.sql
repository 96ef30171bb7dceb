-- The chat domain hangs off chat_sessions in every variant (the memo's "optional relations").
SELECT bench_meta.add_constraint('public.message_cache', 'message_cache_session_id_fkey',
  'FOREIGN KEY (session_id) REFERENCES public.chat_sessions(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.session_shares', 'session_shares_session_id_fkey',
  'FOREIGN KEY (session_id) REFERENCES public.chat_sessions(id) ON DELETE CASCADE NOT VALID');
SELECT bench_meta.add_constraint('public.session_analytics', 'session_analytics_session_id_fkey',
  'FOREIGN KEY (session_id) REFERENCES public.chat_sessions(id) ON DELETE CASCADE NOT VALID');
