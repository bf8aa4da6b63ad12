-- Policies: conversational.leads
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro never sees name, email, phone or user_id (pii); erasure nulls them (conversational.erase_lead).

REVOKE ALL ON conversational.leads FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.leads TO app_rw;
GRANT UPDATE (
    business_id, user_id, channel, name, email, phone, status, source_intent, extra_data, updated_at,
    conversion_value, converted_at
) ON conversational.leads TO app_rw;
GRANT SELECT (
    id, business_id, channel, status, source_intent, extra_data, created_at, updated_at, organization_id,
    conversion_value, converted_at
) ON conversational.leads TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS leads_select_tenant ON conversational.leads;
CREATE POLICY leads_select_tenant ON conversational.leads FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS leads_insert_tenant ON conversational.leads;
CREATE POLICY leads_insert_tenant ON conversational.leads FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS leads_update_tenant ON conversational.leads;
CREATE POLICY leads_update_tenant ON conversational.leads FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS leads_delete_tenant ON conversational.leads;
CREATE POLICY leads_delete_tenant ON conversational.leads FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS leads_all_cross_tenant ON conversational.leads;
CREATE POLICY leads_all_cross_tenant ON conversational.leads FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
