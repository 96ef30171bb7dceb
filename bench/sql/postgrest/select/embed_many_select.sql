-- getJoinSelects for a to-many embed: an empty array when the child has no rows
COALESCE( {agg}.{agg}, '[]') AS {name}
