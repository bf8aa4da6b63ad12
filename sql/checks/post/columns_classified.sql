-- Check: every column of every product table has a data classification in
-- governance.column_classifications, and no classification names a column that no longer exists.
-- dbrun: requires=governance.column_classifications
WITH classified AS (
    SELECT schema_name, table_name, column_name FROM governance.column_classifications
),
live AS (
    SELECT n.nspname::text AS schema_name, c.relname::text AS table_name, a.attname::text AS column_name
    FROM pg_catalog.pg_class AS c
    JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
    WHERE c.relkind IN ('r', 'p') AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
)
SELECT format('%I.%I', l.schema_name, l.table_name) AS table_name, l.column_name, 'column not classified' AS problem
FROM live AS l
WHERE NOT EXISTS (SELECT FROM classified AS k
                  WHERE (k.schema_name, k.table_name, k.column_name) = (l.schema_name, l.table_name, l.column_name))
UNION ALL
SELECT format('%I.%I', k.schema_name, k.table_name), k.column_name, 'classification of a column that does not exist'
FROM classified AS k
WHERE NOT EXISTS (SELECT FROM live AS l
                  WHERE (k.schema_name, k.table_name, k.column_name) = (l.schema_name, l.table_name, l.column_name))
ORDER BY 1, 2;
