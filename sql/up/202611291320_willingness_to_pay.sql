-- Migration: willingness_to_pay
-- Creates venture.willingness_to_pay (customer intelligence, seed 003): price research of a venture,
-- optionally for one persona: a pricing model, a price range and the optimal price in it (numeric,
-- min <= optimal <= max, never negative), the currency, the research method and a confidence score
-- in [0, 1]. Soft-deleted (deleted_at).
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures and venture.customer_personas (the foreign keys);
-- ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; venture and (optional) persona are referenced with composite keys (same tenant).
CREATE TABLE venture.willingness_to_pay ( -- noqa: DN01 the seed's name (issue 13): one row is a willingness-to-pay estimate
    organization_id uuid NOT NULL,
    wtp_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    persona_id uuid,
    pricing_model text NOT NULL,
    price_min numeric(14, 2) NOT NULL,
    optimal_price numeric(14, 2) NOT NULL,
    price_max numeric(14, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    research_method text NOT NULL,
    confidence_score numeric(3, 2) NOT NULL,
    notes text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_willingness_to_pay PRIMARY KEY (organization_id, wtp_id),
    CONSTRAINT fk_willingness_to_pay_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT fk_willingness_to_pay_persona_id FOREIGN KEY (organization_id, persona_id)
        REFERENCES venture.customer_personas (organization_id, persona_id) ON DELETE CASCADE,
    CONSTRAINT ck_willingness_to_pay_pricing_model CHECK (
        pricing_model IN ('one_time', 'subscription_monthly', 'subscription_annual', 'usage_based', 'freemium')
    ),
    CONSTRAINT ck_willingness_to_pay_price_min_non_negative CHECK (price_min >= 0),
    CONSTRAINT ck_willingness_to_pay_prices_ordered CHECK (price_min <= optimal_price AND optimal_price <= price_max),
    CONSTRAINT ck_willingness_to_pay_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT ck_willingness_to_pay_research_method CHECK (
        research_method IN ('van_westendorp', 'gabor_granger', 'conjoint', 'interview', 'ai_estimate')
    ),
    CONSTRAINT ck_willingness_to_pay_confidence_score_range CHECK (confidence_score BETWEEN 0 AND 1),
    CONSTRAINT ck_willingness_to_pay_notes_length CHECK (pg_catalog.char_length(notes) BETWEEN 1 AND 4000),
    CONSTRAINT ck_willingness_to_pay_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_willingness_to_pay_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
ALTER TABLE venture.willingness_to_pay ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.willingness_to_pay FORCE ROW LEVEL SECURITY;

-- Why: the venture foreign key's index, ordered for "a venture's price research, most confident first".
CREATE INDEX idx_willingness_to_pay_organization_id_venture_id_confidence
    ON venture.willingness_to_pay (organization_id, venture_id, confidence_score);
-- Why: the persona foreign key's index (deleting a persona must not scan the table).
CREATE INDEX idx_willingness_to_pay_organization_id_persona_id ON venture.willingness_to_pay (organization_id, persona_id);

COMMENT ON TABLE venture.willingness_to_pay IS
    'Willingness-to-pay research of a venture (optionally per persona): price range, optimal price, confidence. Soft-deleted.';
COMMENT ON COLUMN venture.willingness_to_pay.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.willingness_to_pay.wtp_id IS 'Research row id (unique within the tenant).';
COMMENT ON COLUMN venture.willingness_to_pay.venture_id IS 'Venture researched, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.willingness_to_pay.persona_id IS 'Persona the figures are for, same tenant; NULL for the whole market.';
COMMENT ON COLUMN venture.willingness_to_pay.pricing_model IS 'one_time, subscription_monthly, subscription_annual, usage_based or freemium.';
COMMENT ON COLUMN venture.willingness_to_pay.price_min IS 'Lowest acceptable price (>= 0) in currency.';
COMMENT ON COLUMN venture.willingness_to_pay.optimal_price IS 'Optimal price, between price_min and price_max.';
COMMENT ON COLUMN venture.willingness_to_pay.price_max IS 'Highest acceptable price, >= optimal_price.';
COMMENT ON COLUMN venture.willingness_to_pay.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN venture.willingness_to_pay.research_method IS 'van_westendorp, gabor_granger, conjoint, interview or ai_estimate.';
COMMENT ON COLUMN venture.willingness_to_pay.confidence_score IS 'Confidence in the figures, in [0, 1].';
COMMENT ON COLUMN venture.willingness_to_pay.notes IS 'Free-text notes on the research (1-4000 characters, no personal data).';
COMMENT ON COLUMN venture.willingness_to_pay.created_at IS 'When the row was created.';
COMMENT ON COLUMN venture.willingness_to_pay.updated_at IS 'Last change, maintained by trg_willingness_to_pay_updated_at.';
COMMENT ON COLUMN venture.willingness_to_pay.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_willingness_to_pay_updated_at
    BEFORE UPDATE ON venture.willingness_to_pay
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_willingness_to_pay_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.willingness_to_pay
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.willingness_to_pay ENABLE ALWAYS TRIGGER trg_willingness_to_pay_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'willingness_to_pay', 'organization_id', 'internal'),
    ('venture', 'willingness_to_pay', 'wtp_id', 'internal'),
    ('venture', 'willingness_to_pay', 'venture_id', 'internal'),
    ('venture', 'willingness_to_pay', 'persona_id', 'internal'),
    ('venture', 'willingness_to_pay', 'pricing_model', 'confidential'),
    ('venture', 'willingness_to_pay', 'price_min', 'confidential'),
    ('venture', 'willingness_to_pay', 'optimal_price', 'confidential'),
    ('venture', 'willingness_to_pay', 'price_max', 'confidential'),
    ('venture', 'willingness_to_pay', 'currency', 'internal'),
    ('venture', 'willingness_to_pay', 'research_method', 'internal'),
    ('venture', 'willingness_to_pay', 'confidence_score', 'internal'),
    ('venture', 'willingness_to_pay', 'notes', 'confidential'),
    ('venture', 'willingness_to_pay', 'created_at', 'internal'),
    ('venture', 'willingness_to_pay', 'updated_at', 'internal'),
    ('venture', 'willingness_to_pay', 'deleted_at', 'internal');

RESET ROLE;
