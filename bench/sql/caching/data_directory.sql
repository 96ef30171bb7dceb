-- Where the relation files live (superuser only).
SELECT current_setting('data_directory')
