-- orderF: the node's order terms
ORDER BY {terms}
