-- Policies: venture.feedback_intelligence
-- Who sees what: app_rw, app_ro and the owner see the feedback of the current tenant only; with no
-- tenant set, nothing. app_rw records feedback, re-analyses it (the analysis columns, never the key,
-- tenant, venture, customer or text) and deletes it (spam; trends follow through their marks); app_ro
-- reads everything but feedback_text (pii). The owner reads every tenant only with its explicit
-- opt-out app.all_tenants = 'on' (set by venture.refresh_feedback_trends() for its own duration).

REVOKE ALL ON venture.feedback_intelligence FROM app_rw, app_ro, app_auth;
GRANT SELECT, INSERT, DELETE ON venture.feedback_intelligence TO app_rw;
GRANT UPDATE (
    sentiment_score, emotion_primary, emotion_intensity, intent_classification, priority_score, urgency_level,
    churn_risk_score, churn_indicators, issue_tags, processed_at, processing_confidence, model_id, model_version
) ON venture.feedback_intelligence TO app_rw;
GRANT SELECT (
    organization_id, feedback_id, venture_id, customer_id, feedback_source, received_at, sentiment_score,
    emotion_primary, emotion_intensity, intent_classification, priority_score, urgency_level, churn_risk_score,
    churn_indicators, issue_tags, processed_at, processing_confidence, model_id, model_version, created_at, updated_at
) ON venture.feedback_intelligence TO app_ro;

-- Why: tenant isolation; policies compare with the STABLE context function, which the planner inlines.
DROP POLICY IF EXISTS feedback_intelligence_select_tenant ON venture.feedback_intelligence;
CREATE POLICY feedback_intelligence_select_tenant ON venture.feedback_intelligence FOR SELECT TO app_rw, app_ro, app_owner
    USING (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_intelligence_insert_tenant ON venture.feedback_intelligence;
CREATE POLICY feedback_intelligence_insert_tenant ON venture.feedback_intelligence FOR INSERT TO app_rw, app_owner
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_intelligence_update_tenant ON venture.feedback_intelligence;
CREATE POLICY feedback_intelligence_update_tenant ON venture.feedback_intelligence FOR UPDATE TO app_rw, app_owner
    USING (organization_id = app.current_org_id())
    WITH CHECK (organization_id = app.current_org_id());
DROP POLICY IF EXISTS feedback_intelligence_delete_tenant ON venture.feedback_intelligence;
CREATE POLICY feedback_intelligence_delete_tenant ON venture.feedback_intelligence FOR DELETE TO app_rw, app_owner
    USING (organization_id = app.current_org_id());

-- Why: the trend refresh reads the feedback of every tenant; only with the owner's explicit opt-out.
DROP POLICY IF EXISTS feedback_intelligence_select_cross_tenant ON venture.feedback_intelligence;
CREATE POLICY feedback_intelligence_select_cross_tenant ON venture.feedback_intelligence FOR SELECT TO app_owner
    USING (pg_catalog.current_setting('app.all_tenants', true) = 'on');
