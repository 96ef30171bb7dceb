-- roles service: who holds any role beyond the base 'user'
SELECT DISTINCT user_id FROM user_roles WHERE role <> 'user'
