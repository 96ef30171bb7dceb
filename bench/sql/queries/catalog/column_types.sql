-- Column types of the public tables (to normalise values when comparing answers).
SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = 'public'
