-- Check: a partition is a table of its own and PostgreSQL does not apply the parent's row-level
-- security to a query naming it directly. Every partition of a product table with RLS must have RLS
-- enabled (and forced when the parent forces it), every policy of its parent with the same command,
-- roles and expressions, and no privilege for the app roles; no product table has a default partition.
WITH parts AS (
    SELECT i.inhparent AS parent, i.inhrelid AS part
    FROM pg_catalog.pg_inherits AS i
    JOIN pg_catalog.pg_class AS c ON c.oid = i.inhrelid
    JOIN pg_catalog.pg_class AS p ON p.oid = i.inhparent
    JOIN pg_catalog.pg_namespace AS n ON n.oid = p.relnamespace
    WHERE c.relispartition AND p.relkind = 'p' AND p.relrowsecurity
      AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
)
SELECT x.part::regclass::text AS partition_name, 'row level security not enabled' AS problem
FROM parts AS x JOIN pg_catalog.pg_class AS c ON c.oid = x.part
WHERE NOT c.relrowsecurity
UNION ALL
SELECT x.part::regclass::text, 'row level security not forced (the parent forces it)'
FROM parts AS x JOIN pg_catalog.pg_class AS c ON c.oid = x.part JOIN pg_catalog.pg_class AS p ON p.oid = x.parent
WHERE p.relforcerowsecurity AND NOT c.relforcerowsecurity
UNION ALL
SELECT x.part::regclass::text, 'missing or different policy ' || pp.polname
FROM parts AS x JOIN pg_catalog.pg_policy AS pp ON pp.polrelid = x.parent
WHERE NOT EXISTS (
    SELECT FROM pg_catalog.pg_policy AS q
    WHERE q.polrelid = x.part AND q.polname = pp.polname AND q.polcmd = pp.polcmd
      AND q.polpermissive = pp.polpermissive AND q.polroles = pp.polroles
      AND pg_catalog.pg_get_expr(q.polqual, q.polrelid) IS NOT DISTINCT FROM pg_catalog.pg_get_expr(pp.polqual, pp.polrelid)
      AND pg_catalog.pg_get_expr(q.polwithcheck, q.polrelid)
          IS NOT DISTINCT FROM pg_catalog.pg_get_expr(pp.polwithcheck, pp.polrelid))
UNION ALL
SELECT x.part::regclass::text, r.rolname || ' holds ' || priv.name
FROM parts AS x
CROSS JOIN pg_catalog.pg_roles AS r
CROSS JOIN (VALUES ('SELECT'), ('INSERT'), ('UPDATE'), ('DELETE'), ('TRUNCATE'), ('REFERENCES'), ('TRIGGER')) AS priv (name)
WHERE r.rolname IN ('app_rw', 'app_ro', 'app_auth', 'app_ingest')
  AND (pg_catalog.has_table_privilege(r.oid, x.part, priv.name)
       OR (priv.name IN ('SELECT', 'INSERT', 'UPDATE', 'REFERENCES')
           AND pg_catalog.has_any_column_privilege(r.oid, x.part, priv.name)))
UNION ALL
SELECT pt.partdefid::regclass::text, 'default partition of ' || pt.partrelid::regclass::text
FROM pg_catalog.pg_partitioned_table AS pt
JOIN pg_catalog.pg_class AS p ON p.oid = pt.partrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = p.relnamespace
WHERE pt.partdefid <> 0 AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
ORDER BY 1, 2;
