-- roles service: who is an admin (its own filter)
SELECT user_id FROM user_roles WHERE role = 'admin'
