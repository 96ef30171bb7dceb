-- getJoin for a to-one embed (JsonObject): the child's row itself
 LEFT JOIN LATERAL ( {child} ) AS {agg} ON TRUE
