-- Policies: conversational.businesses
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads it.

REVOKE ALL ON conversational.businesses FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.businesses TO app_rw;
GRANT UPDATE (
    name, owner_id, settings, updated_at
) ON conversational.businesses TO app_rw;
GRANT SELECT (
    id, name, owner_id, settings, created_at, updated_at, organization_id
) ON conversational.businesses TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS businesses_select_tenant ON conversational.businesses;
CREATE POLICY businesses_select_tenant ON conversational.businesses FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS businesses_insert_tenant ON conversational.businesses;
CREATE POLICY businesses_insert_tenant ON conversational.businesses FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS businesses_update_tenant ON conversational.businesses;
CREATE POLICY businesses_update_tenant ON conversational.businesses FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS businesses_delete_tenant ON conversational.businesses;
CREATE POLICY businesses_delete_tenant ON conversational.businesses FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS businesses_all_cross_tenant ON conversational.businesses;
CREATE POLICY businesses_all_cross_tenant ON conversational.businesses FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
