-- server time per statement (preloaded by the embedded server; optional on external servers,
-- where a role without the right to create it goes without: the run says so, cells are missing)
DO $$
BEGIN
  IF EXISTS (SELECT FROM pg_available_extensions WHERE name = 'pg_stat_statements') THEN
    BEGIN
      CREATE EXTENSION IF NOT EXISTS pg_stat_statements;
    EXCEPTION WHEN insufficient_privilege THEN
      RAISE NOTICE 'pg_stat_statements not created: %', SQLERRM;
    END;
  END IF;
END
$$;
