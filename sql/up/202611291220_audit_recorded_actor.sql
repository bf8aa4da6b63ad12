-- Migration: audit_recorded_actor
-- The audit log records who acted (issue 11): app.user_id could be any uuid, so a write by tenant A
-- was recorded as done by a user of tenant B. audit.tg_audit_row() now refuses an app.user_id that
-- is not a user of the organization the change belongs to (the row's organization_id, else the
-- transaction's tenant) with 28000 (invalid_authorization_specification), and refuses to write an
-- event for a temporary table (42501): only migrations attach it, to product tables. The trigger
-- function keeps its name and signature, so every table that attaches it (and every domain that
-- will) gets the new body.
-- Locks: none on data (function definition only).

SET LOCAL ROLE app_owner;

-- Why: the generic audit trigger of 202611230920 with the actor and temporary-table checks.
CREATE OR REPLACE FUNCTION audit.tg_audit_row() RETURNS trigger
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
    v_actor uuid := app.current_user_id();
    v_organization_id uuid;
BEGIN
    -- Only tables of the product are audited: an event for a session's own (pg_temp_N) relation is a forgery.
    IF TG_TABLE_SCHEMA ~ '^pg_temp_' THEN
        RAISE EXCEPTION 'audit.tg_audit_row() refuses %.%, a relation of the session''s own schema', TG_TABLE_SCHEMA, TG_TABLE_NAME
            USING ERRCODE = 'insufficient_privilege',
                  HINT = 'audit triggers are attached by migrations to product tables only';
    END IF;
    IF TG_OP IN ('UPDATE', 'DELETE') THEN
        v_old := pg_catalog.to_jsonb(OLD);
    END IF;
    IF TG_OP IN ('INSERT', 'UPDATE') THEN
        v_new := pg_catalog.to_jsonb(NEW);
    END IF;
    v_row := coalesce(v_new, v_old);

    -- The recorded actor must be a user of the organization the change belongs to (the row's, else
    -- the transaction's tenant): a service cannot attribute its write to someone of another tenant.
    v_organization_id := coalesce((v_row ->> 'organization_id')::uuid, app.current_org_id());
    IF v_actor IS NOT NULL AND NOT EXISTS (
        SELECT FROM core.users AS u WHERE u.organization_id = v_organization_id AND u.user_id = v_actor
    ) THEN
        RAISE EXCEPTION 'app.user_id % is not a user of organization %', v_actor, coalesce(v_organization_id::text, '(none)')
            USING ERRCODE = 'invalid_authorization_specification',
                  HINT = 'set app.user_id to a user of the organization in app.org_id (or leave it unset)';
    END IF;

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
    'Refuses an app.user_id that is not a user of the change''s organization (28000) and temporary tables (42501). '
    'Trigger arguments: columns whose change alone is not audited.';
RESET ROLE;
