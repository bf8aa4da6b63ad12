-- Migration: schema_health_security
-- app.schema_health() also reports what issue 11 asks a health endpoint to show: the number of
-- erasure requests still pending past their due date (at most 30 days after the request: a breach
-- of the specification), counted across tenants, and whether the DDL audit event triggers are
-- active (false on a database where the migrator could not install them). The result gains two
-- columns, so the function is dropped and created again with the same grants.
-- governance.overdue_erasure_requests() lists the overdue requests (the post-check reads it).
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: one definition of "overdue", across tenants, for schema_health(), the post-check
-- erasure_requests_overdue and a DBA. SECURITY INVOKER and owner-only: the owner (or the migrator,
-- a member) reads every tenant with its explicit opt-out, set for this call only.
CREATE FUNCTION governance.overdue_erasure_requests()
RETURNS TABLE (organization_id uuid, erasure_request_id uuid, subject_type text, requested_at timestamptz,
               due_at timestamptz)
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_scope text := coalesce(pg_catalog.current_setting('app.all_tenants', true), '');
BEGIN
    PERFORM pg_catalog.set_config('app.all_tenants', 'on', true);
    RETURN QUERY
        SELECT r.organization_id, r.erasure_request_id, r.subject_type, r.requested_at, r.due_at
        FROM governance.erasure_requests AS r
        WHERE r.status = 'pending' AND r.due_at < pg_catalog.now()
        ORDER BY r.due_at, r.organization_id, r.erasure_request_id;
    PERFORM pg_catalog.set_config('app.all_tenants', v_scope, true);
END
$fn$;
COMMENT ON FUNCTION governance.overdue_erasure_requests() IS
    'Erasure requests of every tenant still pending past their due date (a breach of the 30-day rule). Owner only.';
REVOKE EXECUTE ON FUNCTION governance.overdue_erasure_requests() FROM PUBLIC;

DROP FUNCTION app.schema_health(); -- noqa: SQ-ban-drop-function created again below with two more columns and the same grants

-- Why: one row, always, cheap enough for a liveness probe; of the erasure requests of other tenants
-- only a count leaves the function.
CREATE FUNCTION app.schema_health()
RETURNS TABLE (
    schema_version text, migration_name text, last_migration_at timestamptz, applied_count integer,
    partial_count integer, overdue_erasure_requests integer, ddl_audit_active boolean
)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    SELECT m.version, m.name INTO schema_version, migration_name
    FROM dbrun.migrations AS m WHERE m.status = 'applied' ORDER BY m.version DESC LIMIT 1;
    SELECT pg_catalog.max(m.applied_at),
           pg_catalog.count(*) FILTER (WHERE m.status = 'applied')::integer,
           pg_catalog.count(*) FILTER (WHERE m.status = 'partial')::integer
    INTO last_migration_at, applied_count, partial_count
    FROM dbrun.migrations AS m;
    SELECT pg_catalog.count(*)::integer INTO overdue_erasure_requests
    FROM governance.overdue_erasure_requests() AS o;
    ddl_audit_active := audit.ddl_audit_active();
    RETURN NEXT;
END
$fn$;
COMMENT ON FUNCTION app.schema_health() IS
    'Schema version (newest applied migration), its name, last migration time, applied and partial counts, '
    'erasure requests pending past their due date (all tenants), and whether the DDL audit event triggers are active.';
REVOKE EXECUTE ON FUNCTION app.schema_health() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.schema_health() TO app_rw, app_ro;

RESET ROLE;
