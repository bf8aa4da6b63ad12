-- Check: every product table with a column classified pii or secret (personal data or credentials)
-- carries the audit trigger: AFTER INSERT OR UPDATE OR DELETE, FOR EACH ROW, EXECUTE FUNCTION
-- audit.tg_audit_row(...). Partitions inherit their parent's trigger and are not listed.
-- dbrun: requires=governance.column_classifications
SELECT pg_catalog.format('%I.%I', n.nspname, c.relname) AS table_name,
       'holds pii or secret columns but has no AFTER INSERT OR UPDATE OR DELETE FOR EACH ROW audit.tg_audit_row() trigger'
           AS problem
FROM pg_catalog.pg_class AS c
JOIN pg_catalog.pg_namespace AS n ON n.oid = c.relnamespace
WHERE c.relkind IN ('r', 'p') AND NOT c.relispartition
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
  AND EXISTS (SELECT FROM governance.column_classifications AS k
              WHERE k.schema_name = n.nspname AND k.table_name = c.relname AND k.classification IN ('pii', 'secret'))
  AND NOT EXISTS (
      SELECT FROM pg_catalog.pg_trigger AS t
      WHERE t.tgrelid = c.oid AND t.tgfoid = 'audit.tg_audit_row()'::regprocedure
        AND t.tgtype & 1 = 1    -- FOR EACH ROW
        AND t.tgtype & 2 = 0    -- AFTER
        AND t.tgtype & 28 = 28  -- INSERT (4), DELETE (8) and UPDATE (16)
  )
ORDER BY 1;
