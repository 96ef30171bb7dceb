-- The caller's rows with the explicit filter Supabase recommends beside the policy: .eq('user_id', uid)
SELECT * FROM public.{table} WHERE {key} = $1
