-- Policies: conversational.payments
-- Who sees what: app_rw, app_ro and the owner see rows of the current tenant only (FORCE RLS); with no
-- tenant set, nothing. app_rw reads and writes them (never the key or the tenant); app_ro reads it.

REVOKE ALL ON conversational.payments FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON conversational.payments TO app_rw;
GRANT UPDATE (
    amount, currency, status, transaction_id, paid_at, failure_reason, updated_at
) ON conversational.payments TO app_rw;
GRANT SELECT (
    organization_id, payment_id, subscription_id, amount, currency, status, transaction_id, paid_at,
    failure_reason, created_at, updated_at
) ON conversational.payments TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS payments_select_tenant ON conversational.payments;
CREATE POLICY payments_select_tenant ON conversational.payments FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS payments_insert_tenant ON conversational.payments;
CREATE POLICY payments_insert_tenant ON conversational.payments FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS payments_update_tenant ON conversational.payments;
CREATE POLICY payments_update_tenant ON conversational.payments FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS payments_delete_tenant ON conversational.payments;
CREATE POLICY payments_delete_tenant ON conversational.payments FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the owner's explicit opt-out (app.all_tenants = 'on', set for a maintenance session such as a
-- backfill run by the migrator); the setting means nothing to app_rw and app_ro.
DROP POLICY IF EXISTS payments_all_cross_tenant ON conversational.payments;
CREATE POLICY payments_all_cross_tenant ON conversational.payments FOR ALL TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on')
    WITH CHECK (pg_catalog.current_setting('app.all_tenants', true) = 'on');
