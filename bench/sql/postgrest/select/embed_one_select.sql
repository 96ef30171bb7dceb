-- getJoinSelects for a to-one embed: the row as a jsonb object, null when there is none
row_to_json({agg}.*)::jsonb AS {name}
