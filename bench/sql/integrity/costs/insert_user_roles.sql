INSERT INTO {table} (user_id, role) VALUES (%(user_id)s, 'member')
