-- A trigger function the caller can create without any schema privilege (in its temporary
-- schema); it notes who it ran as. Attached to a table the caller has TRIGGER on, it runs with
-- the rights of whoever writes to that table next.
CREATE FUNCTION pg_temp.bench_probe() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  PERFORM set_config('bench.probe_ran_as', current_user, true);
  RETURN NEW;
END
$$
