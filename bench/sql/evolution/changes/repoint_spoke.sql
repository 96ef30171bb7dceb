-- The relational variant's migration: a spoke re-pointed from auth.users to profiles (NOT VALID,
-- validated in the next step), as moving the star to the relational pattern needs per spoke.
ALTER TABLE public.user_roles DROP CONSTRAINT IF EXISTS user_roles_user_id_fkey,
  ADD CONSTRAINT user_roles_user_id_fkey FOREIGN KEY (user_id) REFERENCES public.profiles(id) NOT VALID
