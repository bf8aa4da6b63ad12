-- Migration: customers
-- Creates venture.customers: the end customers of an organization whose feedback and sentiment are
-- tracked (seed 000's customer_id). A tenant table rather than a bare external id, so feedback and
-- sentiment history reference a customer with a composite key (same tenant), and one row is the
-- subject of an erasure. The only personal datum is external_ref (the customer's id in the tenant's
-- CRM or helpdesk), classified pii and removed on erasure; the row stays as a pseudonymous tombstone.
-- Locks: SHARE ROW EXCLUSIVE on core.organizations (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; children reference (organization_id, customer_id).
CREATE TABLE venture.customers (
    organization_id uuid NOT NULL,
    customer_id uuid NOT NULL DEFAULT gen_random_uuid(),
    external_ref text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    erased_at timestamptz,
    CONSTRAINT pk_customers PRIMARY KEY (organization_id, customer_id),
    CONSTRAINT uq_customers_organization_id_external_ref UNIQUE (organization_id, external_ref),
    CONSTRAINT fk_customers_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE CASCADE,
    CONSTRAINT ck_customers_external_ref_length CHECK (pg_catalog.char_length(external_ref) BETWEEN 1 AND 200),
    CONSTRAINT ck_customers_external_ref_present CHECK (external_ref IS NOT NULL OR erased_at IS NOT NULL),
    CONSTRAINT ck_customers_erased_has_no_external_ref CHECK (erased_at IS NULL OR external_ref IS NULL),
    CONSTRAINT ck_customers_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_customers_erased_after_created CHECK (erased_at IS NULL OR erased_at >= created_at)
);
ALTER TABLE venture.customers ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.customers FORCE ROW LEVEL SECURITY;

COMMENT ON TABLE venture.customers IS
    'End customers of an organization (feedback authors). external_ref is personal data, removed on erasure.';
COMMENT ON CONSTRAINT uq_customers_organization_id_external_ref ON venture.customers IS
    'One customer per external reference per organization (erased customers have none).';
COMMENT ON COLUMN venture.customers.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.customers.customer_id IS 'Customer id (unique within the tenant); pseudonymous once erased.';
COMMENT ON COLUMN venture.customers.external_ref IS
    'The customer''s id in the tenant''s CRM or helpdesk (1-200 characters); NULL once erased.';
COMMENT ON COLUMN venture.customers.created_at IS 'When the customer was first seen.';
COMMENT ON COLUMN venture.customers.updated_at IS 'Last change, maintained by trg_customers_updated_at.';
COMMENT ON COLUMN venture.customers.erased_at IS 'When the customer''s personal data, feedback and sentiment history were erased.';

CREATE TRIGGER trg_customers_updated_at
    BEFORE UPDATE ON venture.customers
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table holding personal data; every change is audited (external_ref redacted).
CREATE TRIGGER trg_customers_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.customers
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.customers ENABLE ALWAYS TRIGGER trg_customers_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('venture', 'customers', 'organization_id', 'internal', NULL),
    ('venture', 'customers', 'customer_id', 'internal', 'pseudonymous id; external_ref is removed on erasure'),
    ('venture', 'customers', 'external_ref', 'pii', 'identifies a person in the tenant''s own systems'),
    ('venture', 'customers', 'created_at', 'internal', NULL),
    ('venture', 'customers', 'updated_at', 'internal', NULL),
    ('venture', 'customers', 'erased_at', 'internal', NULL);

RESET ROLE;
