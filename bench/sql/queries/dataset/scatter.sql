-- How scattered one user's rows are on disk: heap pages holding each sampled user's rows,
-- against the pages the same rows would fill if they were stored together.
WITH sample AS (
  SELECT user_id FROM {spoke} GROUP BY user_id ORDER BY md5(user_id::text || %(seed)s) LIMIT %(users)s
), per_page AS (
  SELECT greatest(c.reltuples / nullif(c.relpages, 0), 1) AS rows_per_page FROM pg_class c WHERE c.oid = %(spoke)s::regclass
)
SELECT t.user_id::text AS user_id, count(*) AS rows,
       count(DISTINCT (t.ctid::text::point)[0]) AS pages,
       ceil(count(*) / (SELECT rows_per_page FROM per_page))::int AS pages_if_clustered
FROM {spoke} t JOIN sample s USING (user_id)
GROUP BY t.user_id
