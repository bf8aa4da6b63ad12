-- Migration: handover_package_system_configurations
-- Phase 1: creates agency.handover_package_system_configurations: the system configurations a handover package contains, replacing the
-- seed's id list (a uuid[] / JSON array no foreign key can check). Both foreign keys are composite
-- and include client_id, so a package only contains system configurations of its own client in its own agency.
-- A contained row cannot be removed while a package lists it (NO ACTION: checked at the end of the
-- statement, so deleting a whole client cascades cleanly); removing the package
-- removes its contents list (CASCADE).
-- Locks: SHARE ROW EXCLUSIVE on agency.handover_packages and agency.system_configurations (new foreign keys);
--   ROW EXCLUSIVE on governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: a junction table; its key leads with the package so it also serves the package's foreign key.
CREATE TABLE agency.handover_package_system_configurations (
    organization_id uuid NOT NULL,
    client_id uuid NOT NULL,
    package_id uuid NOT NULL,
    configuration_id uuid NOT NULL,
    created_at timestamptz NOT NULL DEFAULT now(),
    CONSTRAINT pk_handover_package_system_configurations PRIMARY KEY (organization_id, client_id, package_id, configuration_id),
    CONSTRAINT fk_handover_package_system_configurations_package_id FOREIGN KEY (organization_id, client_id, package_id)
        REFERENCES agency.handover_packages (organization_id, client_id, package_id) ON DELETE CASCADE,
    CONSTRAINT fk_handover_package_system_configurations_configuration_id FOREIGN KEY (organization_id, client_id, configuration_id)
        REFERENCES agency.system_configurations (organization_id, client_id, configuration_id) ON DELETE NO ACTION
);
ALTER TABLE agency.handover_package_system_configurations ENABLE ROW LEVEL SECURITY;
ALTER TABLE agency.handover_package_system_configurations FORCE ROW LEVEL SECURITY;

-- Why: the composite foreign key to the contained row ("which packages contain it").
CREATE INDEX idx_handover_package_system_configurations_configuration ON agency.handover_package_system_configurations (organization_id, client_id, configuration_id);

COMMENT ON TABLE agency.handover_package_system_configurations IS 'The system configurations a handover package contains (same client).';
COMMENT ON INDEX agency.idx_handover_package_system_configurations_configuration IS 'Composite FK to agency.system_configurations.';
COMMENT ON COLUMN agency.handover_package_system_configurations.organization_id IS 'Tenant (the agency); part of the key.';
COMMENT ON COLUMN agency.handover_package_system_configurations.client_id IS 'Client of the package and of the contained row (both composite keys include it).';
COMMENT ON COLUMN agency.handover_package_system_configurations.package_id IS 'Handover package of the same client.';
COMMENT ON COLUMN agency.handover_package_system_configurations.configuration_id IS 'System configuration of the same client included in the package.';
COMMENT ON COLUMN agency.handover_package_system_configurations.created_at IS 'When it was added to the package.';

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('agency', 'handover_package_system_configurations', 'organization_id', 'internal'),
    ('agency', 'handover_package_system_configurations', 'client_id', 'internal'),
    ('agency', 'handover_package_system_configurations', 'package_id', 'internal'),
    ('agency', 'handover_package_system_configurations', 'configuration_id', 'internal'),
    ('agency', 'handover_package_system_configurations', 'created_at', 'internal');

RESET ROLE;
