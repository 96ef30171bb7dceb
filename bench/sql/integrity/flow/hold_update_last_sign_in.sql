-- A sign-in: the auth server updates last_sign_in_at (FOR NO KEY UPDATE on the row: it does not
-- conflict with the FOR KEY SHARE a spoke insert's foreign-key check takes).
UPDATE auth.users SET last_sign_in_at = now() WHERE id = %(id)s
