-- hasql's commitTransaction
COMMIT
