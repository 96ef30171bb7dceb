-- PostgREST's mainRead when the request asks for one object (Accept: application/vnd.pgrst.object+json,
-- supabase-js `.single()`): the body is asJsonSingleF, the first row itself; page_total decides the
-- PGRST116 error when it is not 1. {source} is the node's SELECT.
WITH pgrst_source AS ( {source} )  SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, coalesce(json_agg(_postgrest_t)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t
