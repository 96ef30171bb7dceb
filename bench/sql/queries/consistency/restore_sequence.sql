-- Put an identity sequence back where it was (never called: at its start, not yet used).
SELECT setval(%(seq)s::regclass, coalesce(%(last_value)s, %(start_value)s), %(last_value)s IS NOT NULL)
