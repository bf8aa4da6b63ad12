-- Policies: venture.customer_sentiment_history
-- Who sees what: app_rw, app_ro and the owner see the measurements of the current tenant only; with
-- no tenant set, nothing. app_rw appends measurements (the insert trigger links each to its
-- predecessor) and may reword trigger_event; scores and links are never updated, and measurements are
-- removed only with their customer (erasure) or venture.

REVOKE ALL ON venture.customer_sentiment_history FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT ON venture.customer_sentiment_history TO app_rw;
GRANT UPDATE (trigger_event) ON venture.customer_sentiment_history TO app_rw;
GRANT SELECT ON venture.customer_sentiment_history TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS customer_sentiment_history_select_tenant ON venture.customer_sentiment_history;
CREATE POLICY customer_sentiment_history_select_tenant ON venture.customer_sentiment_history FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_sentiment_history_insert_tenant ON venture.customer_sentiment_history;
CREATE POLICY customer_sentiment_history_insert_tenant ON venture.customer_sentiment_history FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_sentiment_history_update_tenant ON venture.customer_sentiment_history;
CREATE POLICY customer_sentiment_history_update_tenant ON venture.customer_sentiment_history FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS customer_sentiment_history_delete_tenant ON venture.customer_sentiment_history;
CREATE POLICY customer_sentiment_history_delete_tenant ON venture.customer_sentiment_history FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());
