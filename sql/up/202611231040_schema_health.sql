-- Migration: schema_health
-- Creates app.schema_health(): the schema version (newest applied migration), its name, the last
-- migration time and counts, read from dbrun's bookkeeping, for a service's health endpoint. App
-- roles cannot read the dbrun schema; this SECURITY DEFINER function (owner role, pinned
-- search_path) is their only, read-only, window on it.
-- Locks: none taken on data; GRANT on dbrun.migrations updates its ACL (catalog only).

-- Why: the owner reads the bookkeeping on the app roles' behalf; granted by dbrun's table owner.
GRANT USAGE ON SCHEMA dbrun TO app_owner;
GRANT SELECT ON dbrun.migrations TO app_owner;

SET LOCAL ROLE app_owner;

-- Why: one row, always (NULLs when nothing is applied), cheap enough for a liveness probe.
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
