-- Check: every product table has row-level security enabled; tenant tables (organization_id NOT
-- NULL) also FORCE it, so even the owner is filtered. A row is a violation.
SELECT format('%I.%I', n.nspname, c.relname) AS table_name,
       CASE WHEN NOT c.relrowsecurity THEN 'row level security not enabled'
            ELSE 'tenant table without FORCE ROW LEVEL SECURITY' END AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND (NOT c.relrowsecurity
       OR (NOT c.relforcerowsecurity AND EXISTS (
           SELECT FROM pg_catalog.pg_attribute AS a
           WHERE a.attrelid = c.oid AND a.attname = 'organization_id' AND a.attnotnull AND NOT a.attisdropped)))
ORDER BY 1;
