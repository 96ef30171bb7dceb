-- Fan-out of one spoke: how many users have n rows (users with none included).
SELECT coalesce(c.n, 0) AS fanout, count(*) AS users
FROM auth.users u
LEFT JOIN (SELECT user_id, count(*) AS n FROM {spoke} GROUP BY user_id) c ON c.user_id = u.id
GROUP BY 1
ORDER BY 1
