-- The sampled users, numbered, for pgbench scripts (\set n random(...) then \gset the id).
DROP TABLE IF EXISTS bench_meta.read_sample;
CREATE TABLE bench_meta.read_sample (n int PRIMARY KEY, id uuid NOT NULL);
