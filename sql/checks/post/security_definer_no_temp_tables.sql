-- Check: no SECURITY DEFINER function body creates or names a temporary table. A temporary table is
-- the caller's to create first, with its own triggers, which then run with the owner's rights
-- (the refresh_rollups escalation of issue 11): keep working sets in CTEs, arrays or variables.
SELECT p.oid::regprocedure::text AS function_name,
       'SECURITY DEFINER body creates or uses a temporary table' AS problem
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND p.prosrc ~* '(\m(temp|temporary)\s+table\M|\minto\s+(temp|temporary)\M|\mpg_temp\.)'
ORDER BY 1;
