-- getJoin for a to-many embed (JsonArray): the child's rows aggregated to one jsonb array
 LEFT JOIN LATERAL ( SELECT json_agg({agg})::jsonb AS {agg} FROM ({child} ) AS {agg} ) AS {agg} ON TRUE
