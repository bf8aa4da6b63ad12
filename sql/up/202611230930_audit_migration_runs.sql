-- Migration: audit_migration_runs
-- Records every dbrun event (apply, rollback, repeatable, repair; successful or failed) in the audit
-- log: actor, version, name, direction, status and the file checksum, copied from the row dbrun
-- writes to its own dbrun.log table. dbrun creates that table before the first migration runs.
-- Locks: SHARE ROW EXCLUSIVE on dbrun.log (CREATE TRIGGER); only dbrun writes it, under its lock.

SET LOCAL ROLE app_owner;

-- Why: reads the new log row as JSON so a column added or renamed by dbrun never breaks a run.
CREATE FUNCTION audit.tg_log_audit() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_row jsonb := pg_catalog.to_jsonb(NEW);
    v_values jsonb;
BEGIN
    v_values := pg_catalog.jsonb_build_object(
        'operation', v_row -> 'operation',
        'direction', v_row -> 'direction',
        'version', v_row -> 'version',
        'name', v_row -> 'name',
        'status', v_row -> 'status',
        'checksum', v_row -> 'checksum',
        'run_id', v_row -> 'run_id',
        'db_user', v_row -> 'db_user',
        'os_user', v_row -> 'os_user',
        'hostname', v_row -> 'hostname',
        'dbrun_version', v_row -> 'dbrun_version',
        'sqlstate', v_row -> 'sqlstate'
    );
    PERFORM audit.write_event(
        'MIGRATION', TG_TABLE_SCHEMA, TG_TABLE_NAME, NULL, pg_catalog.jsonb_build_object('id', v_row -> 'id'),
        ARRAY(SELECT pg_catalog.jsonb_object_keys(v_values) ORDER BY 1), NULL, v_values,
        coalesce(v_row ->> 'db_user', session_user::text)
    );
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION audit.tg_log_audit() IS
    'AFTER INSERT trigger on dbrun.log: appends a MIGRATION audit event (actor, version, direction, checksum).';

RESET ROLE;

-- Why: created by the session user, who owns dbrun's tables (the owner role does not).
CREATE TRIGGER trg_log_audit
    AFTER INSERT ON dbrun.log
    FOR EACH ROW EXECUTE FUNCTION audit.tg_log_audit();
