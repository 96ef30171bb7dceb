-- A user edits their profile (a long transaction in the relational recipe's condition holds this row).
UPDATE public.profiles SET updated_at = now() WHERE id = %(id)s
