-- Policies: venture.market_segments
-- Who sees what: app_rw, app_ro and the owner see the market segments of the current tenant only; with no
-- tenant set, nothing. app_rw creates and updates them (never their key, tenant or parent);
-- deletion is soft (deleted_at): hard deletes go with the venture. app_ro reads (no personal data here).

REVOKE ALL ON venture.market_segments FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.market_segments TO app_rw;
GRANT UPDATE (segment_name, description, characteristics, tam, sam, som, currency, priority_score, deleted_at)
    ON venture.market_segments TO app_rw;
GRANT SELECT ON venture.market_segments TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS market_segments_select_tenant ON venture.market_segments;
CREATE POLICY market_segments_select_tenant ON venture.market_segments FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS market_segments_insert_tenant ON venture.market_segments;
CREATE POLICY market_segments_insert_tenant ON venture.market_segments FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS market_segments_update_tenant ON venture.market_segments;
CREATE POLICY market_segments_update_tenant ON venture.market_segments FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS market_segments_delete_tenant ON venture.market_segments;
CREATE POLICY market_segments_delete_tenant ON venture.market_segments FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
