-- A schema change the trigger does not know about: profiles now require a name, which an email
-- signup's metadata lacks. (Run on the emptied scratch tables.)
ALTER TABLE public.profiles ALTER COLUMN full_name SET NOT NULL
