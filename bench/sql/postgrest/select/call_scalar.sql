-- callPlanToQuery for a function returning a scalar (json), called with named arguments (GET
-- /rpc/<fn>?<arg>=...): each argument bound as a parameter of unknown type, cast to its type
SELECT pgrst_call.pgrst_scalar FROM (SELECT {function}({arg} := {value}::uuid) pgrst_scalar) pgrst_call
