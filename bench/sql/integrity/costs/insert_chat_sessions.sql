INSERT INTO {table} (user_id, adk_session_id, session_title) VALUES (%(user_id)s, gen_random_uuid()::text, 'bench')
