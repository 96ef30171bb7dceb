-- In-place changes an experiment is making to a dataset, recorded before the change and
-- cleared after the restore. A row left behind (kill -9, a server crash) is restored by the
-- next seed or run before anything is measured: `restore` lists the idempotent schema files
-- that put the dataset back as seeded.
CREATE TABLE IF NOT EXISTS bench_meta.intent (
  name text PRIMARY KEY,
  restore text[] NOT NULL,
  pid int NOT NULL,
  command text NOT NULL,
  started_at timestamptz NOT NULL DEFAULT now()
);
