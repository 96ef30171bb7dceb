-- Multixact ids used since the database's oldest: its growth over a burst is the multixacts it made.
SELECT mxid_age(datminmxid) FROM pg_database WHERE datname = current_database()
