-- Migration: customer_personas
-- Creates venture.customer_personas (customer intelligence, seed 003): the personas of a venture with
-- jsonb demographics and psychographics, pain points and jobs to be done as non-empty text arrays
-- without NULLs, an AI confidence score in [0, 1], a persona type from a fixed set and a priority
-- rank >= 1 that is unique among the live personas of a venture. Soft-deleted (deleted_at).
-- Locks: SHARE ROW EXCLUSIVE on venture.ventures (the foreign key); ROW EXCLUSIVE on
-- governance.column_classifications (INSERT).

SET LOCAL ROLE app_owner;

-- Why: a CHECK cannot hold a subquery; this IMMUTABLE helper tests a text array for a real list.
CREATE FUNCTION app.is_nonempty_text_list(p_values text []) RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $fn$
    SELECT p_values IS NOT NULL
       AND pg_catalog.cardinality(p_values) >= 1
       AND pg_catalog.array_ndims(p_values) = 1
       AND NOT EXISTS (SELECT FROM pg_catalog.unnest(p_values) AS v (value)
                       WHERE v.value IS NULL OR pg_catalog.char_length(pg_catalog.btrim(v.value)) = 0)
$fn$;
COMMENT ON FUNCTION app.is_nonempty_text_list(text []) IS
    'True for a one-dimensional text array with at least one element and no NULL or blank element.';
REVOKE EXECUTE ON FUNCTION app.is_nonempty_text_list(text []) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION app.is_nonempty_text_list(text []) TO app_rw, app_ro;

-- Why: tenant table; the venture is referenced with a composite key (same tenant).
CREATE TABLE venture.customer_personas (
    organization_id uuid NOT NULL,
    persona_id uuid NOT NULL DEFAULT gen_random_uuid(),
    venture_id uuid NOT NULL,
    persona_name text NOT NULL,
    persona_type text NOT NULL,
    priority_rank integer NOT NULL,
    demographics jsonb NOT NULL DEFAULT '{}',
    psychographics jsonb NOT NULL DEFAULT '{}',
    pain_points text [] NOT NULL,
    jobs_to_be_done text [] NOT NULL,
    ai_confidence_score numeric(3, 2),
    created_at timestamptz NOT NULL DEFAULT now(),
    updated_at timestamptz NOT NULL DEFAULT now(),
    deleted_at timestamptz,
    CONSTRAINT pk_customer_personas PRIMARY KEY (organization_id, persona_id),
    CONSTRAINT fk_customer_personas_venture_id FOREIGN KEY (organization_id, venture_id)
        REFERENCES venture.ventures (organization_id, venture_id) ON DELETE CASCADE,
    CONSTRAINT ck_customer_personas_persona_name_length CHECK (pg_catalog.char_length(persona_name) BETWEEN 1 AND 200),
    CONSTRAINT ck_customer_personas_persona_type CHECK (persona_type IN ('primary', 'secondary', 'tertiary', 'negative')),
    CONSTRAINT ck_customer_personas_priority_rank_positive CHECK (priority_rank >= 1),
    CONSTRAINT ck_customer_personas_demographics_object CHECK (pg_catalog.jsonb_typeof(demographics) = 'object'),
    CONSTRAINT ck_customer_personas_psychographics_object CHECK (pg_catalog.jsonb_typeof(psychographics) = 'object'),
    CONSTRAINT ck_customer_personas_pain_points_list CHECK (app.is_nonempty_text_list(pain_points)),
    CONSTRAINT ck_customer_personas_jobs_to_be_done_list CHECK (app.is_nonempty_text_list(jobs_to_be_done)),
    CONSTRAINT ck_customer_personas_ai_confidence_score_range CHECK (ai_confidence_score BETWEEN 0 AND 1),
    CONSTRAINT ck_customer_personas_updated_after_created CHECK (updated_at >= created_at),
    CONSTRAINT ck_customer_personas_deleted_after_created CHECK (deleted_at IS NULL OR deleted_at >= created_at)
);
ALTER TABLE venture.customer_personas ENABLE ROW LEVEL SECURITY;
ALTER TABLE venture.customer_personas FORCE ROW LEVEL SECURITY;

-- Why: "a venture's personas by priority" is the listing the seed names; also the foreign key's index
-- (a partial index cannot serve the key: it does not cover deleted rows).
CREATE INDEX idx_customer_personas_organization_id_venture_id_priority_rank
    ON venture.customer_personas (organization_id, venture_id, priority_rank);
-- Why: a rank means something only among the live personas of one venture.
CREATE UNIQUE INDEX uq_customer_personas_organization_id_venture_id_priority_rank
    ON venture.customer_personas (organization_id, venture_id, priority_rank) WHERE deleted_at IS NULL;
-- Why: personas are searched by containment ("age_range": "30-45"); jsonb_path_ops is smaller and
-- faster for @> and supports nothing else, which is all these columns are queried with.
CREATE INDEX idx_customer_personas_demographics ON venture.customer_personas USING gin (demographics jsonb_path_ops);
CREATE INDEX idx_customer_personas_psychographics ON venture.customer_personas USING gin (psychographics jsonb_path_ops);

COMMENT ON TABLE venture.customer_personas IS
    'Customer personas of a venture (customer intelligence), ranked by priority among live personas. Soft-deleted.';
COMMENT ON INDEX venture.uq_customer_personas_organization_id_venture_id_priority_rank IS
    'A priority rank is unique among the live personas of a venture.';
COMMENT ON COLUMN venture.customer_personas.organization_id IS 'Tenant; part of the key.';
COMMENT ON COLUMN venture.customer_personas.persona_id IS 'Persona id (unique within the tenant).';
COMMENT ON COLUMN venture.customer_personas.venture_id IS 'Venture of the persona, same tenant (composite foreign key).';
COMMENT ON COLUMN venture.customer_personas.persona_name IS 'Persona name, 1-200 characters.';
COMMENT ON COLUMN venture.customer_personas.persona_type IS 'primary, secondary, tertiary or negative (who the venture does not serve).';
COMMENT ON COLUMN venture.customer_personas.priority_rank IS 'Priority among the venture''s live personas: 1 first; unique among them.';
COMMENT ON COLUMN venture.customer_personas.demographics IS 'Demographic attributes (JSON object, AI-generated, variable per industry).';
COMMENT ON COLUMN venture.customer_personas.psychographics IS 'Values, attitudes and behaviour (JSON object, AI-generated).';
COMMENT ON COLUMN venture.customer_personas.pain_points IS 'Pain points: at least one, no NULL or blank element.';
COMMENT ON COLUMN venture.customer_personas.jobs_to_be_done IS 'Jobs to be done: at least one, no NULL or blank element.';
COMMENT ON COLUMN venture.customer_personas.ai_confidence_score IS 'Confidence of the generating agent in [0, 1]; NULL when written by a person.';
COMMENT ON COLUMN venture.customer_personas.created_at IS 'When the persona was created.';
COMMENT ON COLUMN venture.customer_personas.updated_at IS 'Last change, maintained by trg_customer_personas_updated_at.';
COMMENT ON COLUMN venture.customer_personas.deleted_at IS 'Soft delete time; not before created_at.';

CREATE TRIGGER trg_customer_personas_updated_at
    BEFORE UPDATE ON venture.customer_personas
    FOR EACH ROW EXECUTE FUNCTION app.tg_set_updated_at();
-- Why: a privileged table; every change is audited, also under session_replication_role = replica.
CREATE TRIGGER trg_customer_personas_audit
    AFTER INSERT OR UPDATE OR DELETE ON venture.customer_personas
    FOR EACH ROW EXECUTE FUNCTION audit.tg_audit_row('updated_at');
ALTER TABLE venture.customer_personas ENABLE ALWAYS TRIGGER trg_customer_personas_audit;

INSERT INTO governance.column_classifications (schema_name, table_name, column_name, classification) VALUES
    ('venture', 'customer_personas', 'organization_id', 'internal'),
    ('venture', 'customer_personas', 'persona_id', 'internal'),
    ('venture', 'customer_personas', 'venture_id', 'internal'),
    ('venture', 'customer_personas', 'persona_name', 'confidential'),
    ('venture', 'customer_personas', 'persona_type', 'confidential'),
    ('venture', 'customer_personas', 'priority_rank', 'confidential'),
    ('venture', 'customer_personas', 'demographics', 'confidential'),
    ('venture', 'customer_personas', 'psychographics', 'confidential'),
    ('venture', 'customer_personas', 'pain_points', 'confidential'),
    ('venture', 'customer_personas', 'jobs_to_be_done', 'confidential'),
    ('venture', 'customer_personas', 'ai_confidence_score', 'internal'),
    ('venture', 'customer_personas', 'created_at', 'internal'),
    ('venture', 'customer_personas', 'updated_at', 'internal'),
    ('venture', 'customer_personas', 'deleted_at', 'internal');

RESET ROLE;
