-- roles service: the roles of the given users ($1: uuid[])
SELECT user_id, role FROM user_roles WHERE user_id = ANY($1::uuid[])
