-- PostgREST's readPlanToQuery (Query/QueryBuilder.hs) for one node, spaced as it joins them:
-- {select} the node's columns and its embeds' selects, {source} FROM target, {joins} its lateral
-- embeds, {where} ` WHERE ` and the filters and join condition (or nothing), then groupF (empty
-- here), {order} ORDER BY or nothing, and limitOffsetF's two parameters (db-max-rows applied to
-- every node by Plan.treeRestrictRange).
SELECT {select} FROM {source}{joins}{where}  {order} LIMIT {limit} OFFSET {offset}
