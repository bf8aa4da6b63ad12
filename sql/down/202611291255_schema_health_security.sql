-- Migration: schema_health_security
-- Inverse of the up file: app.schema_health() as 202611231040 defined it (five columns), and no
-- governance.overdue_erasure_requests().
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: dropped and created again below as 202611231040 defined it (the return type changes).
DROP FUNCTION app.schema_health();

DROP FUNCTION governance.overdue_erasure_requests();

-- Why: the definition of 202611231040, unchanged.
CREATE FUNCTION app.schema_health()
RETURNS TABLE (
    schema_version text, migration_name text, last_migration_at timestamptz, applied_count integer,
    partial_count integer
)
LANGUAGE sql STABLE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT
        (SELECT m.version FROM dbrun.migrations AS m WHERE m.status = 'applied' ORDER BY m.version DESC LIMIT 1),
        (SELECT m.name FROM dbrun.migrations AS m WHERE m.status = 'applied' ORDER BY m.version DESC LIMIT 1),
        (SELECT pg_catalog.max(m.applied_at) FROM dbrun.migrations AS m),
        (SELECT pg_catalog.count(*)::integer FROM dbrun.migrations AS m WHERE m.status = 'applied'),
        (SELECT pg_catalog.count(*)::integer FROM dbrun.migrations AS m WHERE m.status = 'partial')
$fn$;
COMMENT ON FUNCTION app.schema_health() IS
    'Schema version (newest applied migration), its name, last migration time, applied and partial counts.';
REVOKE EXECUTE ON FUNCTION app.schema_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.schema_health() TO app_rw, app_ro;

RESET ROLE;
