ALTER TABLE public.profiles ALTER COLUMN full_name DROP NOT NULL
