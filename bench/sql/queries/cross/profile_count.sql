-- How many profiles there are (to pick page offsets)
SELECT count(*) FROM profiles
