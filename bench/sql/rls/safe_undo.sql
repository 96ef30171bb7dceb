-- Drops the safe set's write policies (rls/safe.sql); schema/rls.sql, grants.sql and trigger.sql
-- then put the memo's policies, grants and handle_new_user back. Idempotent.
DO $$
DECLARE
  p record;
BEGIN
  FOR p IN SELECT policyname, tablename FROM pg_policies
           WHERE schemaname = 'public' AND policyname ~ '^safe_(insert|update|delete)_'
  LOOP
    EXECUTE format('DROP POLICY %I ON public.%I', p.policyname, p.tablename);
  END LOOP;
END
$$;
ALTER FUNCTION public.handle_new_user() RESET search_path;
