-- callPlanToQuery for a scalar function called by GET /rpc/<fn>?<arg>=... (DirectArgs, fmtArgs):
-- each argument `"name" := $n::type`, the value bound as a parameter of unknown type
SELECT pgrst_call.pgrst_scalar FROM (SELECT {function}({args}) pgrst_scalar) pgrst_call
