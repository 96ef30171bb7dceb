-- The same feature in the relational variant: the new table references profiles.
CREATE TABLE user_preferences (
  user_id uuid REFERENCES public.profiles(id),
  preferences jsonb
)
