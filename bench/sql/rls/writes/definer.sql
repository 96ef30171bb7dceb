-- SECURITY DEFINER functions in public and whether each pins its search_path (proconfig)
SELECT p.proname, coalesce(array_to_string(p.proconfig, ','), '') LIKE '%%search_path=%%' AS pinned
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'public' AND p.prosecdef AND p.proname = 'handle_new_user'
