-- Check: every product table, view, sequence and function is owned by the owner role (app_owner),
-- except functions deliberately owned by app_auth (the API key authenticator), and
-- objects an extension installed, so no object silently belongs to whoever ran the migration.
SELECT format('%I.%I', n.nspname, c.relname) AS object_name, 'owned by ' || c.relowner::regrole::text AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p', 'v', 'm', 'S') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND c.relowner::regrole::text <> 'app_owner'
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS e
                  WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
UNION ALL
SELECT p.oid::regprocedure::text, 'owned by ' || p.proowner::regrole::text
FROM pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_' AND p.proowner::regrole::text NOT IN ('app_owner', 'app_auth')
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS e
                  WHERE e.classid = 'pg_catalog.pg_proc'::regclass AND e.objid = p.oid AND e.deptype = 'e')
ORDER BY 1;
