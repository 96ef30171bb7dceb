-- %(rows)s audit rows spread over the user pool, as one INSERT .. SELECT.
INSERT INTO public.bulk_audit (user_id, action, ip_address, user_agent, created_at)
SELECT u.ids[1 + (g * 7919) %% u.n], 'login', '10.0.0.1', 'bench', now()
FROM generate_series(1, %(rows)s) g,
     (SELECT array_agg(id ORDER BY id) AS ids, count(*)::int AS n FROM auth.users) u
