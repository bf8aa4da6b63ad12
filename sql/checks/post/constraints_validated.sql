-- Check (warning): no constraint of a product table is left NOT VALID. Phase 1 of a zero-downtime
-- change adds foreign keys and CHECKs NOT VALID (no scan under a strong lock); a later migration must
-- VALIDATE them, or existing rows were never checked. Between the two (often two releases) the state
-- is legitimate, so this warns instead of failing `dbrun up --to` the first of them.
-- Partitions inherit their parent's state.
-- dbrun: severity=warning
SELECT k.conrelid::regclass::text AS table_name, k.conname AS constraint_name, 'constraint not validated' AS problem
FROM pg_catalog.pg_constraint AS k
JOIN pg_catalog.pg_namespace AS n ON n.oid = k.connamespace
WHERE NOT k.convalidated AND k.contype IN ('c', 'f')
  AND n.nspname NOT IN ('pg_catalog', 'information_schema', 'dbrun', 'citus', 'citus_internal', 'columnar', 'columnar_internal') AND n.nspname !~ '^pg_'
ORDER BY 1, 2;
