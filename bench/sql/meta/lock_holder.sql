-- Who holds a dataset's lock: the holder's application_name says which bench process it is
SELECT a.application_name, a.client_addr::text
FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
WHERE l.locktype = 'advisory' AND l.granted AND l.database = (SELECT oid FROM pg_database WHERE datname = current_database())
  AND l.classid = %(space)s::oid AND l.objid = hashtext(%(name)s)::oid AND l.objsubid = 2
