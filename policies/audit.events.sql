-- Policies: audit.events (append-only)
-- Who sees what: app_rw and app_ro read the events of the current tenant's rows only (platform and
-- migration events have no organization and are never visible to them); with no tenant set,
-- nothing. Nobody writes directly: the SECURITY DEFINER audit triggers append as the owner, and
-- UPDATE, DELETE and TRUNCATE are revoked even from the owner (and refused by trigger).

REVOKE ALL ON audit.events FROM app_rw, app_ro, app_auth;
GRANT SELECT ON audit.events TO app_rw, app_ro;
GRANT USAGE ON SCHEMA audit TO app_rw, app_ro;

-- Why: tenant-scoped reading of the trail.
DROP POLICY IF EXISTS events_select_tenant ON audit.events;
CREATE POLICY events_select_tenant ON audit.events FOR SELECT TO app_rw, app_ro
    USING (organization_id = (SELECT app.current_org_id()));
