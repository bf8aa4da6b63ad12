-- Check: every foreign key has an index whose leading columns are the key's columns (any order),
-- so deleting a parent or joining to it never scans the child.
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, k.conname AS constraint_name,
       'foreign key without an index on its columns' AS problem
FROM pg_catalog.pg_constraint AS k
JOIN pg_catalog.pg_class AS c ON c.oid = k.conrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE k.contype = 'f' AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND NOT EXISTS (
      SELECT FROM pg_catalog.pg_index AS i
      WHERE i.indrelid = k.conrelid AND i.indisvalid AND i.indpred IS NULL
        AND (string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(k.conkey)] @> k.conkey
        AND cardinality((string_to_array(i.indkey::text, ' ')::smallint[])[1:cardinality(k.conkey)])
            = cardinality(k.conkey))
ORDER BY 1, 2;
