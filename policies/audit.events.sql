-- Policies: audit.events (append-only)
-- Who sees what: the app roles do not read this table: they read audit.tenant_events
-- (202611291256), the current tenant's events with every value of a column
-- classified pii or secret redacted by today's classification. Nobody writes directly: the SECURITY
-- DEFINER audit triggers append as the owner, and UPDATE, DELETE and TRUNCATE are revoked even from
-- the owner (and refused by ENABLE ALWAYS triggers).

-- Why: the table's strongest lock before anything else. REVOKE rewrites the table's pg_class row; an
-- ANALYZE (autovacuum's) already holding SHARE UPDATE EXCLUSIVE on the table then waits for this
-- transaction to record its statistics in that row, while DROP POLICY below waits for the ANALYZE:
-- a deadlock (40P01). Locked first, this file waits for the ANALYZE to finish instead. Every `dbrun
-- up` fills audit.events (its DDL and MIGRATION events), so autovacuum analyzes it during the up.
LOCK TABLE audit.events IN ACCESS EXCLUSIVE MODE;

REVOKE ALL ON audit.events FROM app_rw, app_ro, app_auth;
GRANT USAGE ON SCHEMA audit TO app_rw, app_ro;

-- Why: kept so that a grant made by mistake still shows a role only its tenant's events.
DROP POLICY IF EXISTS events_select_tenant ON audit.events;
CREATE POLICY events_select_tenant ON audit.events FOR SELECT TO app_rw, app_ro
    USING (organization_id = app.current_org_id());
