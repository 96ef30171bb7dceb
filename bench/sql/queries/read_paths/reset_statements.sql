-- Forget this database's statement statistics (only this database's: other users' stay).
SELECT pg_stat_statements_reset(0, (SELECT oid FROM pg_database WHERE datname = current_database()), 0)
