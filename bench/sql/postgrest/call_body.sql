-- PostgREST's mainCall (Query/Statements.hs) with no count requested, for a function returning
-- one scalar: page_total is 1 (funcReturnsSingle), the body is the scalar itself (asJsonF). {call}
-- is callPlanToQuery's SELECT, {source} the read plan over pgrst_source (limited too).
WITH pgrst_source AS ({call}) SELECT null::bigint AS total_result_set, 1 AS page_total, coalesce(json_agg(_postgrest_t.pgrst_scalar)->0, 'null') AS body, nullif(current_setting('response.headers', true), '') AS response_headers, nullif(current_setting('response.status', true), '') AS response_status, '' AS response_inserted FROM ({source}) _postgrest_t
