-- Migration: audit_tenant_events
-- The audit trail as the app roles read it (issue 11): audit.tenant_events, the current tenant's
-- events (none with no tenant set; platform, migration and DDL events never), with the value of
-- every column classified pii or secret *today* shown as "[redacted]". Events are redacted when
-- written, by the classification of that day; reading through today's classification also hides
-- what was classified later, so erased with the person (the activity timestamps logged before
-- 202611291205): the append-only log itself is never rewritten. policies/audit.events.sql no
-- longer grants the app roles SELECT on audit.events. The view is not security_invoker: it reads
-- audit.events as its owner and filters the tenant itself; security_barrier keeps a caller's
-- functions from seeing rows before that filter. (A migration, not a repeatable view: the down of
-- 202611230920 drops audit.events and cannot drop a view created after it.)
-- Locks: none on data (new function and view; audit.events is only read).

SET LOCAL ROLE app_owner;

-- Why: one redaction rule for reading, the same as the audit trigger's for writing.
CREATE FUNCTION audit.redact_values(p_schema_name text, p_table_name text, p_values jsonb)
RETURNS jsonb
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT pg_catalog.jsonb_object_agg(v.key, CASE
            WHEN v.value <> 'null'::jsonb AND EXISTS (
                SELECT FROM governance.column_classifications AS k
                WHERE k.schema_name = p_schema_name AND k.table_name = p_table_name AND k.column_name = v.key
                  AND k.classification IN ('pii', 'secret'))
            THEN pg_catalog.to_jsonb('[redacted]'::text)
            ELSE v.value END)
    FROM pg_catalog.jsonb_each(p_values) AS v
$fn$;
COMMENT ON FUNCTION audit.redact_values(text, text, jsonb) IS
    'The values of an audit event with every column classified pii or secret (today) as "[redacted]".';
REVOKE ALL ON FUNCTION audit.redact_values(text, text, jsonb) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION audit.redact_values(text, text, jsonb) TO app_rw, app_ro;

-- Why: the app roles' only window on the trail.
CREATE VIEW audit.tenant_events WITH (security_barrier = true) AS
SELECT
    e.event_id,
    e.occurred_at,
    e.transaction_id,
    e.db_role,
    e.db_session_user,
    e.app_user_id,
    e.organization_id,
    e.action,
    e.schema_name,
    e.table_name,
    e.primary_key,
    e.changed_columns,
    audit.redact_values(e.schema_name, e.table_name, e.old_values) AS old_values,
    audit.redact_values(e.schema_name, e.table_name, e.new_values) AS new_values
FROM audit.events AS e
WHERE e.organization_id = (SELECT app.current_org_id());

COMMENT ON VIEW audit.tenant_events IS
    'Audit events of the current tenant, pii and secret values redacted by today''s classification. What app roles read.';
COMMENT ON COLUMN audit.tenant_events.old_values IS 'Old values of the changed columns; pii and secret redacted.';
COMMENT ON COLUMN audit.tenant_events.new_values IS 'New values of the changed columns; pii and secret redacted.';

GRANT SELECT ON audit.tenant_events TO app_rw, app_ro;

RESET ROLE;
