-- Migration: ventures
-- Creates the venture schema (venture intelligence: customer intelligence and feedback
-- intelligence hang from one entity, the venture) and its root table venture.ventures: the ventures
-- of an organization, with a lifecycle stage and soft delete. Every table of the domain references a
-- venture with the composite key (organization_id, venture_id), so no row can point into another
-- tenant's venture.
-- Locks: SHARE ROW EXCLUSIVE on core.organizations (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications and governance.retention_policies (INSERT).

-- Why: the venture intelligence domain has its own schema, owned by the owner role.
CREATE SCHEMA venture AUTHORIZATION app_owner;
COMMENT ON SCHEMA venture IS
    'Venture intelligence: ventures, customer intelligence (personas, ICP, journeys, willingness to pay, '
    'segments) and feedback intelligence (feedback, sentiment history, trends).';

SET LOCAL ROLE app_owner;

-- Why: tenant table; the key includes organization_id so children reference (organization_id, venture_id).
CREATE TABLE venture.ventures (
    organization_id uuid NOT NULL,
    venture_id uuid NOT NULL DEFAULT gen_random_uuid(),
    name text NOT NULL,
    stage text NOT NULL DEFAULT 'ideation',
    description text,
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_ventures PRIMARY KEY (organization_id, venture_id),
    CONSTRAINT fk_ventures_organization_id FOREIGN KEY (organization_id)
        REFERENCES core.organizations (organization_id) ON DELETE CASCADE,
    CONSTRAINT ck_ventures_name_length CHECK (pg_catalog.char_length(name) BETWEEN 1 AND 200),
    CONSTRAINT ck_ventures_stage CHECK (stage IN ('ideation', 'validation', 'building', 'launched', 'paused', 'closed')),
    CONSTRAINT ck_ventures_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 4000),
    CONSTRAINT ck_ventures_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_ventures_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
-- Tenant table: a table is never readable without RLS; FORCE filters the owner too.
ALTER TABLE venture.ventures ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.ventures FORCE ROW LEVEL SECURITY;

-- Why: one live venture per name in an organization; a deleted venture frees its name.
CREATE UNIQUE INDEX uq_ventures_organization_id_name ON venture.ventures (organization_id, name)
    WHERE deleted_at IS NULL;

COMMENT ON TABLE venture.ventures IS
    'Ventures of an organization: the entity customer and feedback intelligence hang from. Soft-deleted (deleted_at).';
COMMENT ON INDEX venture.uq_ventures_organization_id_name IS 'One live venture per name per organization.';
COMMENT ON COLUMN venture.ventures.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.ventures.venture_id IS 'Venture id (unique within the tenant).';
COMMENT ON COLUMN venture.ventures.name IS 'Venture name, 1-200 characters, unique among live ventures of the tenant.';
COMMENT ON COLUMN venture.ventures.stage IS 'Lifecycle: ideation, validation, building, launched, paused or closed.';
COMMENT ON COLUMN venture.ventures.description IS 'What the venture does (1-4000 characters).';
COMMENT ON COLUMN venture.ventures.created_at IS 'When the venture was created.';
COMMENT ON COLUMN venture.ventures.updated_at IS 'Last change, maintained by trg_ventures_updated_at.';
COMMENT ON COLUMN venture.ventures.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_ventures_updated_at
    BEFORE UPDATE ON venture.ventures
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_ventures_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.ventures
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.ventures ENABLE ALWAYS TRIGGER trg_ventures_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'ventures', 'organization_id', 'internal'),
    ('venture', 'ventures', 'venture_id', 'internal'),
    ('venture', 'ventures', 'name', 'confidential'),
    ('venture', 'ventures', 'stage', 'confidential'),
    ('venture', 'ventures', 'description', 'confidential'),
    ('venture', 'ventures', 'created_at', 'internal'),
    ('venture', 'ventures', 'updated_at', 'internal'),
    ('venture', 'ventures', 'deleted_at', 'internal');

INSERT INTO governance.retention_policies (schema_name, table_name, retain_for, action, timestamp_column, description)
VALUES ('venture', 'ventures', interval '90 days', 'delete', 'deleted_at',
        'Soft-deleted ventures are purged 90 days after deletion, with everything that hangs from them.');

RESET ROLE;

-- Why: services and reporting reach tables in venture; grants per table are in policies/.
GRANT USAGE ON SCHEMA venture TO app_rw, app_ro;
