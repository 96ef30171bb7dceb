-- Server settings that differ from PostgreSQL's defaults (configuration file, command line...).
SELECT name, setting, unit, source FROM pg_settings
WHERE source NOT IN ('default', 'override', 'client', 'session')
ORDER BY name
