-- hasql's beginTransaction ReadCommitted Read, as PostgREST opens every GET (MainTx.hs, planIsoLvl)
BEGIN ISOLATION LEVEL READ COMMITTED READ ONLY
