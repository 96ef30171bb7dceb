-- The caller's rows with no filter in the query: the policy is the only filter
SELECT * FROM public.{table}
