-- Check: the ingest role (app_ingest) writes usage events and reads nothing (issue 19): on product
-- tables, views and sequences it holds no privilege but INSERT on usage.events, and it may execute
-- no product function (its batches are validated by a trigger, which needs no EXECUTE).
SELECT format('%I.%I', n.nspname, c.relname) AS object_name, 'app_ingest holds ' || priv.name AS problem
FROM pg_catalog.pg_roles AS r
CROSS JOIN pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) AS priv (name)
WHERE r.rolname = 'app_ingest' AND c.relkind IN ('r', 'p', 'v', 'm', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND NOT (n.nspname = 'usage' AND c.relname = 'events' AND priv.name = 'INSERT')
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS e
                  WHERE e.classid = 'pg_catalog.pg_class'::regclass AND e.objid = c.oid AND e.deptype = 'e')
  AND (pg_catalog.has_table_privilege(r.oid, c.oid, priv.name)
       OR (priv.name IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
           AND pg_catalog.has_any_column_privilege(r.oid, c.oid, priv.name)))
UNION ALL
SELECT p.oid::regprocedure::text, 'app_ingest may execute it'
FROM pg_catalog.pg_roles AS r
CROSS JOIN pg_catalog.pg_proc AS p
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.pronamespace
WHERE r.rolname = 'app_ingest'
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND pg_catalog.has_function_privilege(r.oid, p.oid, 'EXECUTE')
  AND NOT EXISTS (SELECT FROM pg_catalog.pg_depend AS d
                  WHERE d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e')
ORDER BY 1, 2;
