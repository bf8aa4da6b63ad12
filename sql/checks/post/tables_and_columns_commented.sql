-- Check: every product table and every column has a comment (COMMENT ON in the creating file).
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, NULL::name AS column_name,
       'table without a comment' AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_' AND pg_catalog.obj_description(c.oid, 'pg_class') IS NULL
UNION ALL
SELECT format('%I.%I', n.nspname, c.relname), a.attname, 'column without a comment'
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_' AND pg_catalog.col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;
