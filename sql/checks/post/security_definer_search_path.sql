-- Check: every SECURITY DEFINER function pins search_path, without public or "$user" in it.
SELECT p.oid::regprocedure::text AS function_name,
       coalesce((SELECT s FROM unnest(p.proconfig) AS s WHERE s LIKE 'search_path=%'), 'no SET search_path')
           AS problem
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE p.prosecdef AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND NOT EXISTS (
      SELECT FROM unnest(p.proconfig) AS s
      WHERE s LIKE 'search_path=%' AND s !~ '(public|\$user)')
ORDER BY 1;
