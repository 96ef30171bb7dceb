-- callPlanToQuery for a scalar function called by POST /rpc/<fn> with a JSON object body (JsonArgs,
-- fromJsonBodyF without select, with LIMIT 1): the body is one json parameter read by json_to_record,
-- each argument passed by name from pgrst_body. {typed}: "arg" type, ...; {names}, {args}.
SELECT pgrst_call.pgrst_scalar FROM (SELECT {body} AS json_data) pgrst_payload, LATERAL (SELECT {names} FROM json_to_record(pgrst_payload.json_data) AS _({typed}) LIMIT 1) pgrst_body , LATERAL (SELECT {function}({args}) pgrst_scalar) pgrst_call
