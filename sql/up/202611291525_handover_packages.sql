-- Migration: handover_packages
-- Phase 1: creates agency.handover_packages: what an agency hands over to a client (documentation,
-- videos, module configuration, delivery). Fixes of the seed's design: the installations and
-- configurations a package contains are junction tables with composite foreign keys (next files),
-- not uuid[] or JSON id lists nothing can check; admin credentials are never stored, only a
-- reference to the secret store (admin_credentials_ref, classified secret, never readable by
-- app_ro); delivery status is a named CHECK and delivered_at is set exactly when delivered.
-- Locks: SHARE ROW EXCLUSIVE on agency.clients, agency.orchestration_workflows and
--   agency.client_deployments (new foreign keys); ROW EXCLUSIVE on governance.column_classifications.

SET LOCAL ROLE app_owner;

-- Why: client-scoped tenant table; (organization_id, client_id, package_id) is unique so the
-- junction tables hold only installations and configurations of the package's own client.
CREATE TABLE agency.handover_packages (
    organization_id uuid NOT NULL,
    package_id uuid NOT NULL DEFAULT gen_random_uuid(),
    client_id uuid NOT NULL,
    workflow_id uuid,
    deployment_id uuid,
    package_name text NOT NULL,
    package_type text NOT NULL DEFAULT 'complete',
    module_configurations jsonb NOT NULL DEFAULT '{}',
    sop_documents jsonb NOT NULL DEFAULT '[]',
    tutorial_videos jsonb NOT NULL DEFAULT '[]',
    admin_credentials_ref text,
    delivery_status text NOT NULL DEFAULT 'pending',
    delivery_method text,
    delivered_at timestamptz,
    delivery_confirmation jsonb NOT NULL DEFAULT '{}',
    package_metadata jsonb NOT NULL DEFAULT '{}',
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_handover_packages PRIMARY KEY (organization_id, package_id),
    CONSTRAINT uq_handover_packages_client_package UNIQUE (organization_id, client_id, package_id),
    CONSTRAINT uq_handover_packages_organization_id_deployment_id UNIQUE (organization_id, deployment_id),
    CONSTRAINT fk_handover_packages_client_id FOREIGN KEY (organization_id, client_id)
        REFERENCES agency.clients (organization_id, client_id) ON DELETE CASCADE,
    CONSTRAINT fk_handover_packages_workflow_id FOREIGN KEY (organization_id, client_id, workflow_id)
        REFERENCES agency.orchestration_workflows (organization_id, client_id, workflow_id) ON DELETE SET NULL (workflow_id),
    CONSTRAINT fk_handover_packages_deployment_id FOREIGN KEY (organization_id, client_id, deployment_id)
        REFERENCES agency.client_deployments (organization_id, client_id, deployment_id) ON DELETE SET NULL (deployment_id),
    CONSTRAINT ck_handover_packages_package_name_length CHECK (pg_catalog.char_length(package_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_handover_packages_package_type CHECK (package_type IN ('complete', 'partial', 'update')),
    CONSTRAINT ck_handover_packages_module_configurations_object
        CHECK (pg_catalog.jsonb_typeof(module_configurations) = 'object'),
    CONSTRAINT ck_handover_packages_sop_documents_array CHECK (pg_catalog.jsonb_typeof(sop_documents) = 'array'),
    CONSTRAINT ck_handover_packages_tutorial_videos_array CHECK (pg_catalog.jsonb_typeof(tutorial_videos) = 'array'),
    CONSTRAINT ck_handover_packages_admin_credentials_ref_format CHECK (
        admin_credentials_ref ~ '^(vault|awssm|gcpsm)://[A-Za-z0-9/_.-]+$' AND pg_catalog.char_length(admin_credentials_ref) <= 500),
    CONSTRAINT ck_handover_packages_delivery_status
        CHECK (delivery_status IN ('pending', 'preparing', 'ready', 'delivering', 'delivered', 'failed')),
    CONSTRAINT ck_handover_packages_delivery_method CHECK (delivery_method IN ('email', 'portal', 'repository', 'meeting')),
    CONSTRAINT ck_handover_packages_delivered_consistent CHECK ((delivery_status = 'delivered') = (delivered_at IS NOT NULL)),
    CONSTRAINT ck_handover_packages_delivery_confirmation_object
        CHECK (pg_catalog.jsonb_typeof(delivery_confirmation) = 'object'),
    CONSTRAINT ck_handover_packages_package_metadata_object CHECK (pg_catalog.jsonb_typeof(package_metadata) = 'object'),
    CONSTRAINT ck_handover_packages_updated_after_created CHECK (updated_at >= created_at)
);
ALTER TABLE agency.handover_packages ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.handover_packages FORCE ROW LEVEL SECURITY;

-- Why: the composite foreign keys to the workflow and the deployment.
CREATE INDEX idx_handover_packages_client_workflow ON agency.handover_packages (organization_id, client_id, workflow_id);
CREATE INDEX idx_handover_packages_client_deployment ON agency.handover_packages (organization_id, client_id, deployment_id);

COMMENT ON TABLE agency.handover_packages IS
    'Handover packages of a client: contents (junction tables), documentation, delivery. Credentials only by reference.';
COMMENT ON CONSTRAINT uq_handover_packages_client_package ON agency.handover_packages IS
    'Target of the junction tables'' composite foreign keys (same client).';
COMMENT ON CONSTRAINT uq_handover_packages_organization_id_deployment_id ON agency.handover_packages IS
    'At most one package per deployment.';
COMMENT ON INDEX agency.idx_handover_packages_client_workflow IS 'Composite FK to the workflow.';
COMMENT ON INDEX agency.idx_handover_packages_client_deployment IS 'Composite FK to the deployment.';
COMMENT ON COLUMN agency.handover_packages.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.handover_packages.package_id IS 'Package id (unique within the agency).';
COMMENT ON COLUMN agency.handover_packages.client_id IS 'Client of the same agency receiving the package.';
COMMENT ON COLUMN agency.handover_packages.workflow_id IS 'Handover workflow of the same client that assembles it; NULL if none (or removed).';
COMMENT ON COLUMN agency.handover_packages.deployment_id IS 'Deployment of the same client it hands over; at most one package per deployment.';
COMMENT ON COLUMN agency.handover_packages.package_name IS 'Name shown to the client.';
COMMENT ON COLUMN agency.handover_packages.package_type IS 'complete, partial or update.';
COMMENT ON COLUMN agency.handover_packages.module_configurations IS 'Module configuration snapshot handed over (JSON object). No secrets.';
COMMENT ON COLUMN agency.handover_packages.sop_documents IS 'Standard operating procedure documents (JSON array of {title, url}).';
COMMENT ON COLUMN agency.handover_packages.tutorial_videos IS 'Tutorial videos (JSON array of {title, url}).';
COMMENT ON COLUMN agency.handover_packages.admin_credentials_ref IS
    'Reference to the admin credentials in the secret store (vault://, awssm://, gcpsm://), never the credentials. Secret: never readable by app_ro.';
COMMENT ON COLUMN agency.handover_packages.delivery_status IS 'pending, preparing, ready, delivering, delivered or failed.';
COMMENT ON COLUMN agency.handover_packages.delivery_method IS 'email, portal, repository or meeting; NULL until chosen.';
COMMENT ON COLUMN agency.handover_packages.delivered_at IS 'When it was delivered; set exactly when delivery_status is delivered.';
COMMENT ON COLUMN agency.handover_packages.delivery_confirmation IS 'Confirmation details from the client (JSON object).';
COMMENT ON COLUMN agency.handover_packages.package_metadata IS 'Free-form details (JSON object), including backfill provenance.';
COMMENT ON COLUMN agency.handover_packages.created_at IS 'When the package was created.';
COMMENT ON COLUMN agency.handover_packages.updated_at IS 'Last change, maintained by trg_handover_packages_updated_at.';

CREATE TRIGGER trg_handover_packages_updated_at
    BEFORE UPDATE ON agency.handover_packages
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: holds a secret column (redacted in the log); ALWAYS: replica mode too.
CREATE TRIGGER trg_handover_packages_audit
    AFTER INSERT OR UPDATE OR DELETE ON agency.handover_packages
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE agency.handover_packages ENABLE ALWAYS TRIGGER trg_handover_packages_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification, note) VALUES
    ('agency', 'handover_packages', 'organization_id', 'internal', NULL),
    ('agency', 'handover_packages', 'package_id', 'internal', NULL),
    ('agency', 'handover_packages', 'client_id', 'internal', NULL),
    ('agency', 'handover_packages', 'workflow_id', 'internal', NULL),
    ('agency', 'handover_packages', 'deployment_id', 'internal', NULL),
    ('agency', 'handover_packages', 'package_name', 'internal', NULL),
    ('agency', 'handover_packages', 'package_type', 'internal', NULL),
    ('agency', 'handover_packages', 'module_configurations', 'confidential', NULL),
    ('agency', 'handover_packages', 'sop_documents', 'confidential', NULL),
    ('agency', 'handover_packages', 'tutorial_videos', 'confidential', NULL),
    ('agency', 'handover_packages', 'admin_credentials_ref', 'secret', 'reference into the secret store'),
    ('agency', 'handover_packages', 'delivery_status', 'internal', NULL),
    ('agency', 'handover_packages', 'delivery_method', 'internal', NULL),
    ('agency', 'handover_packages', 'delivered_at', 'internal', NULL),
    ('agency', 'handover_packages', 'delivery_confirmation', 'confidential', NULL),
    ('agency', 'handover_packages', 'package_metadata', 'confidential', NULL),
    ('agency', 'handover_packages', 'created_at', 'internal', NULL),
    ('agency', 'handover_packages', 'updated_at', 'internal', NULL);

RESET ROLE;
