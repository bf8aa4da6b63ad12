-- Policies: conversational.subscriptions
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads it.

REVOKE ALL ON conversational.subscriptions FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.subscriptions TO app_rw;
GRANT UPDATE (
    business_id, plan, status, billing_cycle, amount, currency, current_period_start, current_period_end,
    trial_ends_at, canceled_at, updated_at
) ON conversational.subscriptions TO app_rw;
GRANT SELECT (
    organization_id, subscription_id, business_id, plan, status, billing_cycle, amount, currency,
    current_period_start, current_period_end, trial_ends_at, canceled_at, created_at, updated_at
) ON conversational.subscriptions TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS subscriptions_select_tenant ON conversational.subscriptions;
CREATE POLICY subscriptions_select_tenant ON conversational.subscriptions FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS subscriptions_insert_tenant ON conversational.subscriptions;
CREATE POLICY subscriptions_insert_tenant ON conversational.subscriptions FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS subscriptions_update_tenant ON conversational.subscriptions;
CREATE POLICY subscriptions_update_tenant ON conversational.subscriptions FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS subscriptions_delete_tenant ON conversational.subscriptions;
CREATE POLICY subscriptions_delete_tenant ON conversational.subscriptions FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS subscriptions_all_cross_tenant ON conversational.subscriptions;
CREATE POLICY subscriptions_all_cross_tenant ON conversational.subscriptions FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
