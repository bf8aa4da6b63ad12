-- Migration: audit_ddl_event_triggers
-- Records every schema change in the audit log (issue 11): DDL run outside dbrun left no trace.
-- Two event triggers (ddl_command_end, sql_drop) append one 'DDL' event per object a command
-- creates, alters, grants on or drops: the role, the command tag, the object's type and identity and,
-- for DDL run outside dbrun, the statement (the first 4000 characters of the client's query). DDL run
-- by dbrun is recorded too, tagged with the run (dbrun sets dbrun.run_id for each file it applies;
-- the MIGRATION event of the same transaction names the file and its checksum), so "outside dbrun"
-- is exactly the DDL events without a run id. Temporary objects (a service's staging tables) are
-- not recorded. The event triggers are ENABLE ALWAYS (replica-mode sessions are recorded too).
-- Creating an event trigger needs superuser. When the migrator may, they are installed here; when
-- it may not (a managed database), this migration installs the functions only and warns, and
-- dbrun health and dbrun verify report "DDL audit inactive" as a warning until a superuser runs
-- the two CREATE EVENT TRIGGER statements below (see docs/schema.md).
-- Locks: none on data (new functions; event triggers are database-wide catalog rows).

SET LOCAL ROLE app_owner;

-- Why: one writer of DDL events for both event triggers: the same columns, the same redaction rule
-- (the statement is kept only outside dbrun, where no file records it).
CREATE FUNCTION audit.write_ddl_event(
    p_command_tag text, p_object_type text, p_schema_name text, p_object_identity text
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_run_id text := nullif(pg_catalog.current_setting('dbrun.run_id', true), '');
    v_role text := pg_catalog.current_setting('role');
    v_name text := coalesce(p_object_identity, p_object_type, p_command_tag);
BEGIN
    -- The table_name column holds the object's name within its schema (the identity is kept whole).
    IF p_schema_name IS NOT NULL AND pg_catalog.starts_with(v_name, p_schema_name || '.') THEN
        v_name := pg_catalog.substr(v_name, pg_catalog.length(p_schema_name) + 2);
    END IF;
    PERFORM audit.write_event(
        'DDL', pg_catalog.left(coalesce(p_schema_name, '(none)'), 63), pg_catalog.left(v_name, 63), NULL,
        pg_catalog.jsonb_build_object('object_identity', p_object_identity),
        '{}', NULL,
        pg_catalog.jsonb_build_object(
            'command_tag', p_command_tag,
            'object_type', p_object_type,
            'object_identity', p_object_identity,
            'dbrun_run_id', v_run_id,
            'statement', CASE WHEN v_run_id IS NULL THEN pg_catalog.left(pg_catalog.current_query(), 4000) END),
        CASE WHEN v_role = 'none' THEN session_user::text ELSE v_role END
    );
END
$fn$;
COMMENT ON FUNCTION audit.write_ddl_event(text, text, text, text) IS
    'Appends one DDL audit event (command tag, object type and identity, dbrun run id or the statement). '
    'Internal: called by the DDL event trigger functions.';
REVOKE EXECUTE ON FUNCTION audit.write_ddl_event(text, text, text, text) FROM PUBLIC;

-- Why: CREATE/ALTER/GRANT/COMMENT...: one event per object the command reported. SECURITY DEFINER
-- (owner, pinned search_path): whoever runs the DDL, only the owner appends to the log.
CREATE FUNCTION audit.tg_ddl_command_end() RETURNS event_trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_command record;
BEGIN
    FOR v_command IN
        SELECT c.command_tag, c.object_type, c.schema_name, c.object_identity
        FROM pg_catalog.pg_event_trigger_ddl_commands() AS c
        WHERE c.schema_name IS DISTINCT FROM 'pg_temp' AND NOT c.in_extension
    LOOP
        PERFORM audit.write_ddl_event(v_command.command_tag, v_command.object_type, v_command.schema_name,
                                      v_command.object_identity);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION audit.tg_ddl_command_end() IS
    'ddl_command_end event trigger: appends a DDL audit event per object a command created, altered or granted on.';
REVOKE EXECUTE ON FUNCTION audit.tg_ddl_command_end() FROM PUBLIC;

-- Why: DROP reports its objects only to sql_drop; the objects the command named, not their parts.
CREATE FUNCTION audit.tg_ddl_sql_drop() RETURNS event_trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_object record;
BEGIN
    FOR v_object IN
        SELECT d.object_type, d.schema_name, d.object_identity
        FROM pg_catalog.pg_event_trigger_dropped_objects() AS d
        WHERE d.original AND NOT d.is_temporary
    LOOP
        PERFORM audit.write_ddl_event(TG_TAG, v_object.object_type, v_object.schema_name, v_object.object_identity);
    END LOOP;
END
$fn$;
COMMENT ON FUNCTION audit.tg_ddl_sql_drop() IS
    'sql_drop event trigger: appends a DDL audit event per object a DROP command named.';
REVOKE EXECUTE ON FUNCTION audit.tg_ddl_sql_drop() FROM PUBLIC;

-- Why: health, verify and the post-check ask one question: are both event triggers installed and on?
CREATE FUNCTION audit.ddl_audit_active() RETURNS boolean
LANGUAGE sql STABLE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.count(*) = 2
    FROM pg_catalog.pg_event_trigger AS t
    WHERE t.evtname IN ('audit_ddl_command_end', 'audit_ddl_sql_drop') AND t.evtenabled = 'A'
$fn$;
COMMENT ON FUNCTION audit.ddl_audit_active() IS
    'True when both DDL audit event triggers are installed and ENABLE ALWAYS; false means DDL audit is inactive.';
REVOKE EXECUTE ON FUNCTION audit.ddl_audit_active() FROM PUBLIC;

RESET ROLE;

-- Why: event triggers need superuser; install them when this session may, otherwise warn and leave
-- the rest of the migration in place (health and verify then report "DDL audit inactive").
DO $install$
BEGIN
    CREATE EVENT TRIGGER audit_ddl_command_end ON ddl_command_end EXECUTE FUNCTION audit.tg_ddl_command_end();
    ALTER EVENT TRIGGER audit_ddl_command_end ENABLE ALWAYS;
    CREATE EVENT TRIGGER audit_ddl_sql_drop ON sql_drop EXECUTE FUNCTION audit.tg_ddl_sql_drop();
    ALTER EVENT TRIGGER audit_ddl_sql_drop ENABLE ALWAYS;
    COMMENT ON EVENT TRIGGER audit_ddl_command_end IS 'Records DDL (create, alter, grant, comment) in audit.events.';
    COMMENT ON EVENT TRIGGER audit_ddl_sql_drop IS 'Records DROP commands in audit.events.';
EXCEPTION WHEN insufficient_privilege THEN
    RAISE WARNING 'DDL audit inactive: % may not create event triggers', current_user
        USING HINT = 'a superuser runs the CREATE EVENT TRIGGER statements of 202611291245 (docs/schema.md, Audit)';
END
$install$;
