-- PostgREST's mainRead (Query/Statements.hs) with no count requested: the request's SELECT becomes
-- pgrst_source and the rows come back as one JSON body. {source} is the node's SELECT.
WITH pgrst_source AS ( {source} )  SELECT null::bigint AS total_result_set, pg_catalog.count(_postgrest_t) AS page_total, coalesce(json_agg(_postgrest_t), '[]') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM ( SELECT * FROM pgrst_source ) _postgrest_t
