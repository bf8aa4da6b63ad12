-- Check: no timestamp without time zone, json, varchar/char or serial column in product tables
-- (use timestamptz, jsonb, text with a CHECK on length, identity or uuid keys).
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, a.attname AS column_name,
       CASE WHEN s.oid IS NOT NULL THEN 'serial column (use GENERATED ... AS IDENTITY)'
            ELSE 'forbidden type ' || pg_catalog.format_type(a.atttypid, a.atttypmod) END AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
JOIN pg_catalog.pg_type AS t ON t.oid = a.atttypid
LEFT JOIN pg_catalog.pg_depend AS d
    ON d.refobjid = c.oid AND d.refobjsubid = a.attnum AND d.classid = 'pg_catalog.pg_class'::regclass
   AND d.deptype = 'a'
LEFT JOIN pg_catalog.pg_class AS s ON s.oid = d.objid AND s.relkind = 'S'
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND (s.oid IS NOT NULL
       OR t.oid IN ('timestamp'::regtype, 'json'::regtype, 'varchar'::regtype, 'bpchar'::regtype)
       OR t.typelem IN ('timestamp'::regtype, 'json'::regtype, 'varchar'::regtype, 'bpchar'::regtype))
ORDER BY 1, 2;
