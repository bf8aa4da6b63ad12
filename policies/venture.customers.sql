-- Policies: venture.customers
-- Who sees what: app_rw, app_ro and the owner see the customers of the current tenant only; with no
-- tenant set, nothing. app_rw registers customers and corrects their external reference; app_ro
-- never sees external_ref (pii). Erasure (erased_at, removing external_ref) and deletion go through
-- the governance erasure flow, not direct writes.

REVOKE ALL ON venture.customers FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.customers TO app_rw;
GRANT UPDATE (external_ref) ON venture.customers TO app_rw;
GRANT SELECT (organization_id, customer_id, created_at, updated_at, erased_at) ON venture.customers TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS customers_select_tenant ON venture.customers;
CREATE POLICY customers_select_tenant ON venture.customers FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customers_insert_tenant ON venture.customers;
CREATE POLICY customers_insert_tenant ON venture.customers FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customers_update_tenant ON venture.customers;
CREATE POLICY customers_update_tenant ON venture.customers FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customers_delete_tenant ON venture.customers;
CREATE POLICY customers_delete_tenant ON venture.customers FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
