-- Policies: usage.events (and every partition of it)
-- Who sees what: app_rw, app_ro and the owner see events of the current tenant only; with no tenant
-- set, nothing. app_rw writes its tenant's events and corrects the measured figures of an event
-- (status, tokens, latency, cost), never its key or tenant; nobody deletes rows (retention drops
-- whole partitions). The owner sees every tenant only when it opts out explicitly with
-- app.all_tenants = 'on' (set by the refresh and reporting functions for their own duration).
-- app_ingest (the gateway's batch ingest) inserts events of any organization and holds nothing
-- else: no SELECT, so it reads no tenant's data; the validation trigger (running as the owner)
-- refuses unknown organizations and keys of another organization.
-- Partitions: PostgreSQL does not apply these policies to a query naming a partition directly, so
-- usage.police_partitions() copies them onto every partition, forces RLS there and revokes every
-- app-role privilege on the partitions (post-check partitions_policed).

REVOKE ALL ON usage.events FROM app_rw, app_ro, app_auth, app_ingest;
GRANT SELECT, INSERT ON usage.events TO app_rw;
GRANT INSERT ON usage.events TO app_ingest;
GRANT UPDATE (status, tokens_in, tokens_out, latency_ms, cost) ON usage.events TO app_rw;
GRANT SELECT ON usage.events TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS events_select_tenant ON usage.events;
CREATE POLICY events_select_tenant ON usage.events FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS events_insert_tenant ON usage.events;
CREATE POLICY events_insert_tenant ON usage.events FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS events_update_tenant ON usage.events;
CREATE POLICY events_update_tenant ON usage.events FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS events_delete_tenant ON usage.events;
CREATE POLICY events_delete_tenant ON usage.events FOR DELETE TO app_owner
    USING (organization_id = app.current_org_id());

-- Why: the gateway writes batches of many organizations; which organization an event belongs to was
-- decided when it authenticated the API key, and the validation trigger checks the pair exists.
DROP POLICY IF EXISTS events_insert_ingest ON usage.events;
CREATE POLICY events_insert_ingest ON usage.events FOR INSERT TO app_ingest
    WITH CHECK (true);

-- Why: the owner's explicit opt-out, for the rollup refresh and cross-tenant reporting functions.
DROP POLICY IF EXISTS events_select_all_tenants ON usage.events;
CREATE POLICY events_select_all_tenants ON usage.events FOR SELECT TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on');

-- Why: the same truth on every partition, and no direct path into one for the app roles.
SELECT usage.police_partitions('usage.events');
