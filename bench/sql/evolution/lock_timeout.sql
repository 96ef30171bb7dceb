-- A migration tool's lock_timeout for this session ('0' = wait as long as it takes).
SELECT set_config('lock_timeout', %(value)s, false)
