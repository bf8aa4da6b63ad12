-- Migration: client_subscriptions
-- Creates agency.client_subscriptions (the seed's client_billing_info): the subscription of a client
-- (one row per client). The payment method is a reference to the payment provider's token (never card data), classified secret.

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table keyed by the client itself.
CREATE TABLE agency.client_subscriptions (
    organization_id uuid NOT NULL,
    client_id uuid NOT NULL,
    subscription_tier text NOT NULL,
    subscription_status text NOT NULL DEFAULT 'trialing',
    monthly_fee numeric(12, 2) NOT NULL DEFAULT 0,
    currency text NOT NULL DEFAULT 'USD',
    payment_method_ref text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_client_subscriptions PRIMARY KEY (organization_id, client_id),
    CONSTRAINT fk_client_subscriptions_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT ck_client_subscriptions_subscription_tier CHECK (subscription_tier IN ('starter', 'growth', 'enterprise')),
    CONSTRAINT ck_client_subscriptions_subscription_status
        CHECK (subscription_status IN ('trialing', 'active', 'past_due', 'cancelled')),
    CONSTRAINT ck_client_subscriptions_monthly_fee_non_negative CHECK (monthly_fee >= 0),
    CONSTRAINT ck_client_subscriptions_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT ck_client_subscriptions_payment_method_ref_format CHECK (payment_method_ref ~ '^pm_[A-Za-z0-9]{8,64}$'),
    CONSTRAINT ck_client_subscriptions_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.client_subscriptions ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.client_subscriptions FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE agency.client_subscriptions IS 'Subscription and billing reference of a client (one row per client).';
COMMENT ON COLUMN agency.client_subscriptions.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.client_subscriptions.client_id IS 'Client of the same agency; the key.';
COMMENT ON COLUMN agency.client_subscriptions.subscription_tier IS 'starter, growth or enterprise.';
COMMENT ON COLUMN agency.client_subscriptions.subscription_status IS 'trialing, active, past_due or cancelled.';
COMMENT ON COLUMN agency.client_subscriptions.monthly_fee IS 'Monthly fee in currency (>= 0).';
COMMENT ON COLUMN agency.client_subscriptions.currency IS 'ISO 4217 code, e.g. USD.';
COMMENT ON COLUMN agency.client_subscriptions.payment_method_ref IS
    'Payment provider token reference (pm_...), never card data. Secret: never readable by app_ro.';
COMMENT ON COLUMN agency.client_subscriptions.created_at IS 'When billing was set up.';
COMMENT ON COLUMN agency.client_subscriptions.updated_at IS 'Last change, maintained by trg_client_subscriptions_updated_at.';

CREATE TRIGGER trg_client_subscriptions_updated_at
    BEFORE UPDATE ON agency.client_subscriptions
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: money and a secret column; ALWAYS: replica mode too.
CREATE TRIGGER trg_client_subscriptions_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.client_subscriptions
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.client_subscriptions ENABLE ALWAYS TRIGGER trg_client_subscriptions_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'client_subscriptions', 'organization_id', 'internal'),
    ('agency', 'client_subscriptions', 'client_id', 'internal'),
    ('agency', 'client_subscriptions', 'subscription_tier', 'confidential'),
    ('agency', 'client_subscriptions', 'subscription_status', 'confidential'),
    ('agency', 'client_subscriptions', 'monthly_fee', 'confidential'),
    ('agency', 'client_subscriptions', 'currency', 'internal'),
    ('agency', 'client_subscriptions', 'payment_method_ref', 'secret'),
    ('agency', 'client_subscriptions', 'created_at', 'internal'),
    ('agency', 'client_subscriptions', 'updated_at', 'internal');

RESET ROLE;
