-- The memo's recipe, verbatim: "just link to center".
CREATE TABLE user_preferences (
  user_id uuid REFERENCES auth.users(id),
  preferences jsonb
)
