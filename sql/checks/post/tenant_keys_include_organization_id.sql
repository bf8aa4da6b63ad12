-- Check: primary keys, unique constraints and unique indexes of tenant tables (organization_id NOT
-- NULL) include organization_id. A deliberate global key (tenant-root slug, API key prefix) is
-- allowed only when its comment starts with 'Global:' and says why.
SELECT format('%I.%I', n.nspname, c.relname) AS table_name, ic.relname AS index_name,
       'key without organization_id' AS problem
FROM pg_catalog.pg_index AS i
JOIN pg_catalog.pg_class AS c ON c.oid = i.indrelid
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
JOIN pg_catalog.pg_class AS ic ON ic.oid = i.indexrelid
JOIN pg_catalog.pg_attribute AS org
    ON org.attrelid = c.oid AND org.attname = 'organization_id' AND org.attnotnull AND NOT org.attisdropped
LEFT JOIN pg_catalog.pg_constraint AS k ON k.conindid = i.indexrelid AND k.contype IN ('p', 'u')
WHERE (i.indisunique OR i.indisprimary) AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND NOT org.attnum = ANY (string_to_array(i.indkey::text, ' ')::smallint[])
  AND coalesce(pg_catalog.obj_description(k.oid, 'pg_constraint'),
               pg_catalog.obj_description(ic.oid, 'pg_class'), '') NOT LIKE 'Global:%'
ORDER BY 1, 2;
