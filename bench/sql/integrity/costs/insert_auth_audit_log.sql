INSERT INTO {table} (user_id, action, ip_address, user_agent) VALUES (%(user_id)s, 'login', '10.0.0.1', 'bench')
