-- Migration: customer_journeys
-- Creates venture.customer_journeys (customer intelligence, seed 003): the journey of a persona as
-- four ordered stages (1 awareness, 2 consideration, 3 decision, 4 retention), at most one live row
-- per (persona, stage), with the touchpoints and frictions of each stage. A child of a persona,
-- referenced with the composite key (organization_id, persona_id). Soft-deleted (deleted_at).
-- Locks: SHARE ROW EXCLUSIVE on venture.customer_personas (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: tenant table; the persona is referenced with a composite key (same tenant).
CREATE TABLE venture.customer_journeys (
    organization_id uuid NOT NULL,
    journey_id uuid NOT NULL DEFAULT gen_random_uuid(),
    persona_id uuid NOT NULL,
    stage smallint NOT NULL,
    stage_name text NOT NULL,
    description text,
    touchpoints text [] NOT NULL DEFAULT '{}',
    friction_points text [] NOT NULL DEFAULT '{}',
    conversion_rate numeric(5, 4),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_customer_journeys PRIMARY KEY (organization_id, journey_id),
    CONSTRAINT fk_customer_journeys_persona_id FOREIGN KEY (organization_id, persona_id)
        REFERENCES venture.customer_personas (organization_id, persona_id) ON DELETE CASCADE,
    CONSTRAINT ck_customer_journeys_stage_range CHECK (stage BETWEEN 1 AND 4),
    -- The name follows from the number (a stage outside 1-4 is left to ck_customer_journeys_stage_range).
    CONSTRAINT ck_customer_journeys_stage_name CHECK (
        stage_name = (ARRAY['awareness', 'consideration', 'decision', 'retention'])[stage]
    ),
    CONSTRAINT ck_customer_journeys_description_length CHECK (pg_catalog.char_length(description) BETWEEN 1 AND 4000),
    CONSTRAINT ck_customer_journeys_touchpoints_no_nulls CHECK (pg_catalog.array_position(touchpoints, NULL) IS NULL),
    CONSTRAINT ck_customer_journeys_friction_points_no_nulls CHECK (pg_catalog.array_position(friction_points, NULL) IS NULL),
    CONSTRAINT ck_customer_journeys_conversion_rate_range CHECK (conversion_rate BETWEEN 0 AND 1),
    CONSTRAINT ck_customer_journeys_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_customer_journeys_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
ALTER TABLE venture.customer_journeys ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.customer_journeys FORCE ROW LEVEL SECURITY;

-- Why: the foreign key's index, in stage order for "a persona's journey".
CREATE INDEX idx_customer_journeys_organization_id_persona_id_stage
    ON venture.customer_journeys (organization_id, persona_id, stage);
-- Why: one live row per stage of a persona's journey.
CREATE UNIQUE INDEX uq_customer_journeys_organization_id_persona_id_stage
    ON venture.customer_journeys (organization_id, persona_id, stage) WHERE deleted_at IS NULL;

COMMENT ON TABLE venture.customer_journeys IS
    'Journey stages (1-4) of a persona; at most one live row per persona and stage. Soft-deleted.';
COMMENT ON INDEX venture.uq_customer_journeys_organization_id_persona_id_stage IS
    'One live row per (persona, stage).';
COMMENT ON COLUMN venture.customer_journeys.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.customer_journeys.journey_id IS 'Journey stage row id (unique within the tenant).';
COMMENT ON COLUMN venture.customer_journeys.persona_id IS 'Persona whose journey this is, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.customer_journeys.stage IS 'Stage number 1-4, in journey order.';
COMMENT ON COLUMN venture.customer_journeys.stage_name IS 'Name of the stage, fixed by its number: awareness, consideration, decision, retention.';
COMMENT ON COLUMN venture.customer_journeys.description IS 'What the persona does and needs at this stage (1-4000 characters).';
COMMENT ON COLUMN venture.customer_journeys.touchpoints IS 'Channels and moments of contact at this stage (no NULL element).';
COMMENT ON COLUMN venture.customer_journeys.friction_points IS 'What slows or stops the persona at this stage (no NULL element).';
COMMENT ON COLUMN venture.customer_journeys.conversion_rate IS 'Share of personas moving on to the next stage, in [0, 1]; NULL when unknown.';
COMMENT ON COLUMN venture.customer_journeys.created_at IS 'When the row was created.';
COMMENT ON COLUMN venture.customer_journeys.updated_at IS 'Last change, maintained by trg_customer_journeys_updated_at.';
COMMENT ON COLUMN venture.customer_journeys.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_customer_journeys_updated_at
    BEFORE UPDATE ON venture.customer_journeys
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_customer_journeys_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.customer_journeys
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.customer_journeys ENABLE ALWAYS TRIGGER trg_customer_journeys_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'customer_journeys', 'organization_id', 'internal'),
    ('venture', 'customer_journeys', 'journey_id', 'internal'),
    ('venture', 'customer_journeys', 'persona_id', 'internal'),
    ('venture', 'customer_journeys', 'stage', 'internal'),
    ('venture', 'customer_journeys', 'stage_name', 'internal'),
    ('venture', 'customer_journeys', 'description', 'confidential'),
    ('venture', 'customer_journeys', 'touchpoints', 'confidential'),
    ('venture', 'customer_journeys', 'friction_points', 'confidential'),
    ('venture', 'customer_journeys', 'conversion_rate', 'confidential'),
    ('venture', 'customer_journeys', 'created_at', 'internal'),
    ('venture', 'customer_journeys', 'updated_at', 'internal'),
    ('venture', 'customer_journeys', 'deleted_at', 'internal');

RESET ROLE;
