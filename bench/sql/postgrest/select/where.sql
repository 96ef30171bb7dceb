-- the node's WHERE: its filters, then its join condition, joined by AND
 WHERE {conditions}
