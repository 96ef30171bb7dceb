-- One heavy user (heavy_rows.sql gives it its rows).
INSERT INTO auth.users (id, email, created_at, updated_at) VALUES (%(id)s, 'heavy@bench.invalid', now(), now());
