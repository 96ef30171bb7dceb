-- Deleting the user (FOR UPDATE on the row: conflicts with FOR KEY SHARE, so spoke inserts wait).
DELETE FROM auth.users WHERE id = %(id)s
