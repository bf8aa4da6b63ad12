-- Migration: budgets
-- Creates core.budgets: a spending limit per organization and period (month, quarter or year
-- starting on period_start), amount >= 0, and alert thresholds as fractions in (0, 1], ascending.

SET LOCAL ROLE app_owner;

-- Why: a CHECK cannot hold a subquery; this IMMUTABLE helper tests strict ascending order.
CREATE FUNCTION app.is_strictly_ascending(p_values numeric []) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE STRICT
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT coalesce(pg_catalog.bool_and(v.value > v.previous), true)
    FROM (
        SELECT u.value, pg_catalog.lag(u.value) OVER (ORDER BY u.ordinality) AS previous
        FROM pg_catalog.unnest(p_values) WITH ORDINALITY AS u (value, ordinality)
    ) AS v
    WHERE v.previous IS NOT NULL
$fn$;
COMMENT ON FUNCTION app.is_strictly_ascending(numeric []) IS 'True when every element is greater than the one before.';

-- Why: tenant table; one budget per organization, period kind and start.
CREATE TABLE core.budgets (
    organization_id uuid NOT NULL,
    budget_id uuid NOT NULL DEFAULT gen_random_uuid(),
    period text NOT NULL,
    period_start date NOT NULL,
    amount numeric(14, 2) NOT NULL,
    currency text NOT NULL DEFAULT 'USD',
    alert_thresholds numeric(4, 3) [] NOT NULL DEFAULT '{0.5,0.8,1.0}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_budgets PRIMARY KEY (organization_id, budget_id),
    CONSTRAINT uq_budgets_organization_id_period_period_start UNIQUE (organization_id, period, period_start),
    CONSTRAINT fk_budgets_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE CASCADE,
    CONSTRAINT ck_budgets_period CHECK (period IN ('month', 'quarter', 'year')),
    CONSTRAINT ck_budgets_period_start_aligned CHECK (
        period_start = pg_catalog.date_trunc(period, period_start::timestamp)::date
    ),
    CONSTRAINT ck_budgets_amount_non_negative CHECK (amount >= 0),
    CONSTRAINT ck_budgets_currency_format CHECK (currency ~ '^[A-Z]{3}$'),
    CONSTRAINT ck_budgets_alert_thresholds_range CHECK (
        pg_catalog.cardinality(alert_thresholds) >= 1
        AND pg_catalog.array_position(alert_thresholds, NULL) IS NULL
        AND 0 < ALL (alert_thresholds) AND 1 >= ALL (alert_thresholds)
    ),
    CONSTRAINT ck_budgets_alert_thresholds_ascending CHECK (app.is_strictly_ascending(alert_thresholds)),
    CONSTRAINT ck_budgets_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE core.budgets ENABLE ROW LEVEL SECURITY;
ALTER TABLE core.budgets FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE core.budgets IS 'Spending limit of an organization for one period, with alert thresholds.';
COMMENT ON COLUMN core.budgets.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN core.budgets.budget_id IS 'Budget id (unique within the tenant).';
COMMENT ON COLUMN core.budgets.period IS 'Period kind: month, quarter or year.';
COMMENT ON COLUMN core.budgets.period_start IS 'First day of the period (aligned to the period kind).';
COMMENT ON COLUMN core.budgets.amount IS 'Limit for the period in currency (>= 0).';
COMMENT ON COLUMN core.budgets.currency IS 'ISO 4217 code.';
COMMENT ON COLUMN core.budgets.alert_thresholds IS 'Fractions of amount that trigger alerts: each in (0, 1], strictly ascending.';
COMMENT ON COLUMN core.budgets.created_at IS 'When the budget was created.';
COMMENT ON COLUMN core.budgets.updated_at IS 'Last change, maintained by trg_budgets_updated_at.';

CREATE TRIGGER trg_budgets_updated_at
    BEFORE UPDATE ON core.budgets
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: privileged table; who raised a limit matters.
CREATE TRIGGER trg_budgets_audit
    AFTER INSERT OR UPDATE OR DELETE ON core.budgets
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('core', 'budgets', 'organization_id', 'internal'),
    ('core', 'budgets', 'budget_id', 'internal'),
    ('core', 'budgets', 'period', 'internal'),
    ('core', 'budgets', 'period_start', 'internal'),
    ('core', 'budgets', 'amount', 'confidential'),
    ('core', 'budgets', 'currency', 'internal'),
    ('core', 'budgets', 'alert_thresholds', 'internal'),
    ('core', 'budgets', 'created_at', 'internal'),
    ('core', 'budgets', 'updated_at', 'internal');

RESET ROLE;
