-- A whole-table count as the caller: supabase.from(t).select('*', { count: 'exact', head: true })
SELECT count(*) FROM public.{table}
