-- One writer per dataset: a session-level advisory lock in the maintenance database, keyed by
-- the dataset's name (released when the holder's connection ends, kill -9 included)
SELECT pg_try_advisory_lock(%(space)s, hashtext(%(name)s))
