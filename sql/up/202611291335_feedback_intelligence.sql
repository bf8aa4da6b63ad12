-- Migration: feedback_intelligence
-- Creates venture.feedback_intelligence (feedback intelligence, seed 000): one row per piece of
-- customer feedback on a venture with its AI analysis: sentiment in [-1, 1], primary emotion and its
-- intensity, intent, priority 0-100 and urgency, churn risk in [0, 1] with its indicators (jsonb),
-- issue tags, processing confidence in [0, 1] and the model that analysed it (the platform's model
-- registry where the model is registered, else a free-text version). Every enumeration is a CHECK.
-- The feedback text is personal data (pii): it is redacted from the audit log and erased with the
-- customer.
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures, venture.customers and core.models (the foreign
-- keys); ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; venture and customer are referenced with composite keys (same tenant).
CREATE TABLE venture.feedback_intelligence (
    organization_id uuid NOT NULL,
    feedback_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    customer_id uuid NOT NULL,
    feedback_text text NOT NULL,
    feedback_source text NOT NULL,
    received_at timestamptz NOT NULL DEFAULT now(),
    sentiment_score numeric(3, 2) NOT NULL,
    emotion_primary text,
    emotion_intensity numeric(3, 2),
    intent_classification text,
    priority_score integer,
    urgency_level text,
    churn_risk_score numeric(3, 2),
    churn_indicators jsonb NOT NULL DEFAULT '{}',
    issue_tags text [] NOT NULL DEFAULT '{}',
    processed_at timestamptz,
    processing_confidence numeric(3, 2),
    model_id uuid,
    model_version text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_feedback_intelligence PRIMARY KEY (organization_id, feedback_id),
    CONSTRAINT fk_feedback_intelligence_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT fk_feedback_intelligence_customer_id FOREIGN KEY (organization_id, customer_id)
        REFERENCES venture.customers (organization_id, customer_id) ON DELETE CASCADE,
    -- Models are retired, never deleted, while feedback refers to them.
    CONSTRAINT fk_feedback_intelligence_model_id FOREIGN KEY (model_id)
        REFERENCES core.models (model_id) ON DELETE RESTRICT,
    CONSTRAINT ck_feedback_intelligence_feedback_text_length CHECK (pg_catalog.char_length(feedback_text) BETWEEN 1 AND 10000),
    CONSTRAINT ck_feedback_intelligence_feedback_source CHECK (feedback_source IN ('email', 'survey', 'support', 'social')),
    CONSTRAINT ck_feedback_intelligence_sentiment_score_range CHECK (sentiment_score BETWEEN -1 AND 1),
    CONSTRAINT ck_feedback_intelligence_emotion_primary CHECK (
        emotion_primary IN ('joy', 'anger', 'sadness', 'fear', 'surprise', 'trust')
    ),
    CONSTRAINT ck_feedback_intelligence_emotion_intensity_range CHECK (emotion_intensity BETWEEN 0 AND 1),
    CONSTRAINT ck_feedback_intelligence_intent_classification CHECK (
        intent_classification IN ('complaint', 'praise', 'question', 'request')
    ),
    CONSTRAINT ck_feedback_intelligence_priority_score_range CHECK (priority_score BETWEEN 0 AND 100),
    CONSTRAINT ck_feedback_intelligence_urgency_level CHECK (urgency_level IN ('low', 'medium', 'high', 'critical')),
    CONSTRAINT ck_feedback_intelligence_churn_risk_score_range CHECK (churn_risk_score BETWEEN 0 AND 1),
    CONSTRAINT ck_feedback_intelligence_churn_indicators_object CHECK (pg_catalog.jsonb_typeof(churn_indicators) = 'object'),
    CONSTRAINT ck_feedback_intelligence_issue_tags_format CHECK (
        pg_catalog.array_position(issue_tags, NULL) IS NULL
        AND (pg_catalog.cardinality(issue_tags) = 0
             OR pg_catalog.array_to_string(issue_tags, ',') ~ '^[a-z0-9_]{1,50}(,[a-z0-9_]{1,50})*$')
    ),
    CONSTRAINT ck_feedback_intelligence_processing_confidence_range CHECK (processing_confidence BETWEEN 0 AND 1),
    CONSTRAINT ck_feedback_intelligence_model_version_length CHECK (pg_catalog.char_length(model_version) BETWEEN 1 AND 100),
    CONSTRAINT ck_feedback_intelligence_processed_after_received CHECK (processed_at IS NULL OR processed_at >= received_at),
    CONSTRAINT ck_feedback_intelligence_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE venture.feedback_intelligence ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.feedback_intelligence FORCE ROW LEVEL SECURITY;

-- Why: the venture foreign key's index, in time order: trends and dashboards read a venture's period.
CREATE INDEX idx_feedback_intelligence_venture_id_received_at
    ON venture.feedback_intelligence (organization_id, venture_id, received_at);
-- Why: the customer foreign key's index: a customer's history and their erasure.
CREATE INDEX idx_feedback_intelligence_organization_id_customer_id
    ON venture.feedback_intelligence (organization_id, customer_id);
-- Why: the model foreign key's index (retiring a model checks for references).
CREATE INDEX idx_feedback_intelligence_model_id ON venture.feedback_intelligence (model_id);
-- Why: churn indicators are searched by containment ({"cancellation_mentioned": true}); jsonb_path_ops serves @>.
CREATE INDEX idx_feedback_intelligence_churn_indicators
    ON venture.feedback_intelligence USING gin (churn_indicators jsonb_path_ops);

COMMENT ON TABLE venture.feedback_intelligence IS
    'Customer feedback on a venture with its AI analysis (sentiment, emotion, intent, priority, churn risk). '
    'feedback_text is pii; rolled up into venture.feedback_trends.';
COMMENT ON COLUMN venture.feedback_intelligence.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.feedback_intelligence.feedback_id IS 'Feedback id (unique within the tenant).';
COMMENT ON COLUMN venture.feedback_intelligence.venture_id IS 'Venture the feedback is about, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.feedback_intelligence.customer_id IS 'Customer who gave it, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.feedback_intelligence.feedback_text IS 'The feedback as written (1-10000 characters); personal data.';
COMMENT ON COLUMN venture.feedback_intelligence.feedback_source IS 'email, survey, support or social.';
COMMENT ON COLUMN venture.feedback_intelligence.received_at IS 'When the customer gave the feedback; trends bucket by it (UTC).';
COMMENT ON COLUMN venture.feedback_intelligence.sentiment_score IS 'Sentiment in [-1, 1]: -1 very negative, 1 very positive.';
COMMENT ON COLUMN venture.feedback_intelligence.emotion_primary IS 'joy, anger, sadness, fear, surprise or trust; NULL when none detected.';
COMMENT ON COLUMN venture.feedback_intelligence.emotion_intensity IS 'Intensity of the primary emotion in [0, 1].';
COMMENT ON COLUMN venture.feedback_intelligence.intent_classification IS 'complaint, praise, question or request.';
COMMENT ON COLUMN venture.feedback_intelligence.priority_score IS 'Priority 0-100 (100 first).';
COMMENT ON COLUMN venture.feedback_intelligence.urgency_level IS 'low, medium, high or critical.';
COMMENT ON COLUMN venture.feedback_intelligence.churn_risk_score IS 'Predicted churn risk in [0, 1]; >= 0.7 counts as high in the trends.';
COMMENT ON COLUMN venture.feedback_intelligence.churn_indicators IS 'Signals behind the churn risk (JSON object).';
COMMENT ON COLUMN venture.feedback_intelligence.issue_tags IS 'Issues mentioned, as snake_case tags (1-50 characters); feed top_issues of the trends.';
COMMENT ON COLUMN venture.feedback_intelligence.processed_at IS 'When the analysis ran; not before received_at.';
COMMENT ON COLUMN venture.feedback_intelligence.processing_confidence IS 'Confidence of the analysis in [0, 1].';
COMMENT ON COLUMN venture.feedback_intelligence.model_id IS 'Analysing model in the platform registry (core.models), when registered.';
COMMENT ON COLUMN venture.feedback_intelligence.model_version IS 'Version label of an analysing model that is not in the registry (1-100 characters).';
COMMENT ON COLUMN venture.feedback_intelligence.created_at IS 'When the row was stored.';
COMMENT ON COLUMN venture.feedback_intelligence.updated_at IS 'Last change, maintained by trg_feedback_intelligence_updated_at.';

CREATE TRIGGER trg_feedback_intelligence_updated_at
    BEFORE UPDATE ON venture.feedback_intelligence
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table holding personal data; every change is audited (feedback_text redacted).
CREATE TRIGGER trg_feedback_intelligence_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.feedback_intelligence
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.feedback_intelligence ENABLE ALWAYS TRIGGER trg_feedback_intelligence_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('venture', 'feedback_intelligence', 'organization_id', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'feedback_id', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'venture_id', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'customer_id', 'internal', 'pseudonymous customer id'),
    ('venture', 'feedback_intelligence', 'feedback_text', 'pii', 'free text written by a person: may name or identify them'),
    ('venture', 'feedback_intelligence', 'feedback_source', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'received_at', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'sentiment_score', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'emotion_primary', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'emotion_intensity', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'intent_classification', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'priority_score', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'urgency_level', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'churn_risk_score', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'churn_indicators', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'issue_tags', 'confidential', NULL),
    ('venture', 'feedback_intelligence', 'processed_at', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'processing_confidence', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'model_id', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'model_version', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'created_at', 'internal', NULL),
    ('venture', 'feedback_intelligence', 'updated_at', 'internal', NULL);

RESET ROLE;
