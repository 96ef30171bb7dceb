-- Deleting a user cascades into every spoke (ON DELETE CASCADE): one lookup per referencing table.
DELETE FROM auth.users WHERE id = %(id)s
