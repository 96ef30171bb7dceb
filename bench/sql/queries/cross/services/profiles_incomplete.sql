-- profile service: every incomplete profile (its own filter)
SELECT id, full_name FROM profiles WHERE full_name IS NULL OR avatar_url IS NULL
