-- Migration: audit_log
-- Creates the append-only audit log (schema audit) and the one generic row trigger function that
-- records INSERT, UPDATE and DELETE on privileged tables: actor (database role and application
-- user), organization, action, table, primary key, changed columns with old and new values,
-- transaction id, time and a sha256 checksum of the payload. Columns classified pii or secret are
-- redacted, so erasing a person never has to touch the audit log. Attaches it to the governance
-- tables created by the previous migration.
-- Locks: SHARE ROW EXCLUSIVE on governance.column_classifications and governance.retention_policies
-- (CREATE TRIGGER); both are small and written only by migrations.

-- Why: the audit log has its own schema, owned by the owner role.
CREATE SCHEMA audit AUTHORIZATION app_owner;
COMMENT ON SCHEMA audit IS 'Append-only audit log of privileged tables and of dbrun migration runs.';

SET LOCAL ROLE app_owner;

-- Why: one row per audited change; never updated, deleted or truncated.
CREATE TABLE audit.events ( -- noqa: DR01 platform log with nullable organization_id, written only by the owner (see below)
    event_id bigint GENERATED ALWAYS AS IDENTITY,
    occurred_at timestamptz NOT NULL DEFAULT pg_catalog.clock_timestamp(),
    transaction_id xid8 NOT NULL DEFAULT pg_catalog.pg_current_xact_id(),
    db_role text NOT NULL,
    db_session_user text NOT NULL,
    app_user_id uuid,
    organization_id uuid,
    action text NOT NULL,
    schema_name text NOT NULL,
    table_name text NOT NULL,
    primary_key jsonb,
    changed_columns text[] NOT NULL DEFAULT '{}',
    old_values jsonb,
    new_values jsonb,
    checksum bytea NOT NULL,
    CONSTRAINT pk_events PRIMARY KEY (event_id),
    CONSTRAINT ck_events_action CHECK (action IN ('INSERT', 'UPDATE', 'DELETE', 'MIGRATION')),
    CONSTRAINT ck_events_checksum_length CHECK (pg_catalog.octet_length(checksum) = 32),
    CONSTRAINT ck_events_names_length CHECK (
        pg_catalog.octet_length(schema_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(table_name) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(db_role) BETWEEN 1 AND 63
        AND pg_catalog.octet_length(db_session_user) BETWEEN 1 AND 63
    )
);
-- Platform table with tenant-scoped reads: RLS on (app roles see their organization's events only);
-- not FORCEd, because the owner is the only writer (through the SECURITY DEFINER triggers).
ALTER TABLE audit.events ENABLE ROW LEVEL SECURITY;
-- Why: append-only by grants too, even for the owner (the trigger below also refuses superusers).
REVOKE UPDATE, DELETE, TRUNCATE ON audit.events FROM app_owner;

CREATE INDEX idx_events_organization_id_occurred_at ON audit.events (organization_id, occurred_at);
CREATE INDEX idx_events_schema_name_table_name_occurred_at ON audit.events (schema_name, table_name, occurred_at);

COMMENT ON TABLE audit.events IS 'Append-only audit log: one row per audited row change or dbrun migration event.';
COMMENT ON COLUMN audit.events.event_id IS 'Surrogate key, increasing.';
COMMENT ON COLUMN audit.events.occurred_at IS 'Wall-clock time of the change.';
COMMENT ON COLUMN audit.events.transaction_id IS 'Transaction that made the change (pg_current_xact_id()).';
COMMENT ON COLUMN audit.events.db_role IS 'Database role in effect (SET ROLE target, else the session user).';
COMMENT ON COLUMN audit.events.db_session_user IS 'Login role of the session.';
COMMENT ON COLUMN audit.events.app_user_id IS 'Application user from app.current_user_id(), when set.';
COMMENT ON COLUMN audit.events.organization_id IS 'Tenant of the changed row; NULL for platform tables and migrations.';
COMMENT ON COLUMN audit.events.action IS 'INSERT, UPDATE, DELETE, or MIGRATION (a dbrun run event).';
COMMENT ON COLUMN audit.events.schema_name IS 'Schema of the changed table.';
COMMENT ON COLUMN audit.events.table_name IS 'Changed table.';
COMMENT ON COLUMN audit.events.primary_key IS 'Primary key of the changed row as a JSON object.';
COMMENT ON COLUMN audit.events.changed_columns IS 'Columns whose value changed (all columns for INSERT and DELETE).';
COMMENT ON COLUMN audit.events.old_values IS 'Old values of the changed columns; pii and secret redacted.';
COMMENT ON COLUMN audit.events.new_values IS 'New values of the changed columns; pii and secret redacted.';
COMMENT ON COLUMN audit.events.checksum IS 'sha256 of the payload (audit.event_checksum); detects edits.';

-- Why: one definition of the payload, used by the writer and by anyone verifying a row.
CREATE FUNCTION audit.event_checksum(p_event audit.events) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.sha256(pg_catalog.convert_to(pg_catalog.jsonb_build_object(
        'occurred_at', pg_catalog.to_jsonb(p_event.occurred_at AT TIME ZONE 'UTC'),
        'transaction_id', p_event.transaction_id::text,
        'db_role', p_event.db_role,
        'db_session_user', p_event.db_session_user,
        'app_user_id', p_event.app_user_id,
        'organization_id', p_event.organization_id,
        'action', p_event.action,
        'schema_name', p_event.schema_name,
        'table_name', p_event.table_name,
        'primary_key', p_event.primary_key,
        'changed_columns', p_event.changed_columns,
        'old_values', p_event.old_values,
        'new_values', p_event.new_values
    )::text, 'UTF8'))
$fn$;
COMMENT ON FUNCTION audit.event_checksum(audit.events) IS
    'sha256 of the canonical JSON payload of an audit event (every column but event_id and checksum).';

-- Why: the single writer of audit.events; not executable by anyone but the owner (triggers run as it).
CREATE FUNCTION audit.write_event(
    p_action text, p_schema_name text, p_table_name text, p_organization_id uuid, p_primary_key jsonb,
    p_changed_columns text[], p_old_values jsonb, p_new_values jsonb, p_db_role text
) RETURNS void
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_event audit.events;
BEGIN
    v_event.occurred_at := pg_catalog.clock_timestamp();
    v_event.transaction_id := pg_catalog.pg_current_xact_id();
    v_event.db_role := p_db_role;
    v_event.db_session_user := session_user;
    v_event.app_user_id := app.current_user_id();
    v_event.organization_id := p_organization_id;
    v_event.action := p_action;
    v_event.schema_name := p_schema_name;
    v_event.table_name := p_table_name;
    v_event.primary_key := p_primary_key;
    v_event.changed_columns := coalesce(p_changed_columns, '{}');
    v_event.old_values := p_old_values;
    v_event.new_values := p_new_values;
    v_event.checksum := audit.event_checksum(v_event);
    INSERT INTO audit.events (
        occurred_at, transaction_id, db_role, db_session_user, app_user_id, organization_id, action,
        schema_name, table_name, primary_key, changed_columns, old_values, new_values, checksum
    ) VALUES (
        v_event.occurred_at, v_event.transaction_id, v_event.db_role, v_event.db_session_user,
        v_event.app_user_id, v_event.organization_id, v_event.action, v_event.schema_name,
        v_event.table_name, v_event.primary_key, v_event.changed_columns, v_event.old_values,
        v_event.new_values, v_event.checksum
    );
END
$fn$;
REVOKE EXECUTE ON FUNCTION audit.write_event(text, text, text, uuid, jsonb, text[], jsonb, jsonb, text) FROM PUBLIC;
COMMENT ON FUNCTION audit.write_event(text, text, text, uuid, jsonb, text[], jsonb, jsonb, text) IS
    'Computes the checksum and appends one audit event. Internal: only the owner (trigger functions) may call it.';

-- Why: one generic trigger for every privileged table; arguments name columns whose change alone is
-- not worth an event (activity timestamps such as last_used_at).
CREATE FUNCTION audit.tg_audit_row() RETURNS trigger
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $fn$
DECLARE
    v_old jsonb;
    v_new jsonb;
    v_row jsonb;
    v_changed text[];
    v_redacted text[];
    v_primary_key jsonb;
    v_role text := pg_catalog.current_setting('role');
BEGIN
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := pg_catalog.to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := pg_catalog.to_jsonb(NEW);
    END IF;
    v_row := coalesce(v_new, v_old);

    IF TG_OP = 'UPDATE' THEN
        SELECT coalesce(pg_catalog.array_agg(n.key ORDER BY n.key), '{}') INTO v_changed
        FROM pg_catalog.jsonb_each(v_new) AS n
        WHERE n.value IS DISTINCT FROM v_old -> n.key;
        IF v_changed <@ coalesce(TG_ARGV::text[], '{}') THEN
            RETURN NULL;  -- nothing changed, or only ignored columns
        END IF;
        SELECT pg_catalog.jsonb_object_agg(o.key, o.value) INTO v_old
        FROM pg_catalog.jsonb_each(v_old) AS o WHERE o.key = ANY (v_changed);
        SELECT pg_catalog.jsonb_object_agg(n.key, n.value) INTO v_new
        FROM pg_catalog.jsonb_each(v_new) AS n WHERE n.key = ANY (v_changed);
    ELSE
        SELECT coalesce(pg_catalog.array_agg(r.key ORDER BY r.key), '{}') INTO v_changed
        FROM pg_catalog.jsonb_each(v_row) AS r;
    END IF;

    SELECT coalesce(pg_catalog.array_agg(c.column_name), '{}') INTO v_redacted
    FROM governance.column_classifications AS c
    WHERE c.schema_name = TG_TABLE_SCHEMA AND c.table_name = TG_TABLE_NAME
      AND c.classification IN ('pii', 'secret');
    IF v_redacted <> '{}' THEN
        SELECT pg_catalog.jsonb_object_agg(o.key, CASE
                WHEN o.key = ANY (v_redacted) AND o.value <> 'null' THEN pg_catalog.to_jsonb('[redacted]'::text)
                ELSE o.value END)
        INTO v_old FROM pg_catalog.jsonb_each(v_old) AS o;
        SELECT pg_catalog.jsonb_object_agg(n.key, CASE
                WHEN n.key = ANY (v_redacted) AND n.value <> 'null' THEN pg_catalog.to_jsonb('[redacted]'::text)
                ELSE n.value END)
        INTO v_new FROM pg_catalog.jsonb_each(v_new) AS n;
    END IF;

    SELECT pg_catalog.jsonb_object_agg(a.attname, v_row -> a.attname::text) INTO v_primary_key
    FROM pg_catalog.pg_index AS i
    JOIN pg_catalog.pg_attribute AS a ON a.attrelid = i.indrelid AND a.attnum = ANY (i.indkey)
    WHERE i.indrelid = TG_RELID AND i.indisprimary;

    PERFORM audit.write_event(
        TG_OP, TG_TABLE_SCHEMA, TG_TABLE_NAME, (v_row ->> 'organization_id')::uuid, v_primary_key,
        v_changed, v_old, v_new, CASE WHEN v_role = 'none' THEN session_user::text ELSE v_role END
    );
    RETURN NULL;
END
$fn$;
COMMENT ON FUNCTION audit.tg_audit_row() IS
    'AFTER ROW trigger for privileged tables: appends an audit event with pii/secret columns redacted. '
    'Trigger arguments: columns whose change alone is not audited.';

-- Why: append-only for every role, superusers included (grants above stop everyone else first).
CREATE FUNCTION audit.tg_events_append_only() RETURNS trigger
LANGUAGE plpgsql VOLATILE
SET search_path = pg_catalog, pg_temp
AS $fn$
BEGIN
    RAISE EXCEPTION 'audit.events is append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege',
              HINT = 'audit events are never changed; retention archives them by partition/export';
END
$fn$;
COMMENT ON FUNCTION audit.tg_events_append_only() IS 'Refuses UPDATE, DELETE and TRUNCATE on audit.events.';

CREATE TRIGGER trg_events_append_only
    BEFORE UPDATE OR DELETE ON audit.events
    FOR EACH ROW EXECUTE FUNCTION audit.tg_events_append_only();
CREATE TRIGGER trg_events_no_truncate
    BEFORE TRUNCATE ON audit.events
    FOR EACH STATEMENT EXECUTE FUNCTION audit.tg_events_append_only();

-- Why: governance tables are privileged: who reclassified a column matters.
CREATE TRIGGER trg_column_classifications_audit
    AFTER INSERT OR UPDATE OR DELETE ON governance.column_classifications
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();
CREATE TRIGGER trg_retention_policies_audit
    AFTER INSERT OR UPDATE OR DELETE ON governance.retention_policies
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row();

-- Why: classification and retention of the audit log itself.
INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('audit', 'events', 'event_id', 'internal', NULL),
    ('audit', 'events', 'occurred_at', 'internal', NULL),
    ('audit', 'events', 'transaction_id', 'internal', NULL),
    ('audit', 'events', 'db_role', 'internal', NULL),
    ('audit', 'events', 'db_session_user', 'internal', NULL),
    ('audit', 'events', 'app_user_id', 'internal', 'pseudonymous id; the user row is anonymised on erasure'),
    ('audit', 'events', 'organization_id', 'internal', NULL),
    ('audit', 'events', 'action', 'internal', NULL),
    ('audit', 'events', 'schema_name', 'internal', NULL),
    ('audit', 'events', 'table_name', 'internal', NULL),
    ('audit', 'events', 'primary_key', 'internal', NULL),
    ('audit', 'events', 'changed_columns', 'internal', NULL),
    ('audit', 'events', 'old_values', 'confidential', 'pii and secret values are redacted at write time'),
    ('audit', 'events', 'new_values', 'confidential', 'pii and secret values are redacted at write time'),
    ('audit', 'events', 'checksum', 'internal', NULL);

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('audit', 'events', interval '7 years', 'archive', 'occurred_at',
        'Audit trail kept seven years, then exported to cold storage (never updated in place).');

RESET ROLE;
