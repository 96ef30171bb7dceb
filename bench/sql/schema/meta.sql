-- The suite's own bookkeeping inside its database (the marker table is made by pg.py).
CREATE TABLE IF NOT EXISTS bench_meta.manifest (
  id int PRIMARY KEY DEFAULT 1 CHECK (id = 1),
  body jsonb NOT NULL
);

-- ALTER TABLE ... ADD CONSTRAINT has no IF NOT EXISTS: this makes constraint DDL idempotent.
CREATE OR REPLACE FUNCTION bench_meta.add_constraint(tbl regclass, name text, definition text)
RETURNS void LANGUAGE plpgsql AS $$
BEGIN
  IF NOT EXISTS (SELECT FROM pg_constraint WHERE conrelid = tbl AND conname = name) THEN
    EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', tbl, name, definition);
  END IF;
END
$$;

